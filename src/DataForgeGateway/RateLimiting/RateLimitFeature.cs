namespace DataForgeGateway.RateLimiting;

/// <summary>
/// The per-request fact of the rate-limit decision: set once by the limiter, read by the response's
/// <c>RateLimit</c> headers and by the audit.
/// </summary>
internal sealed class RateLimitFeature(RateLimitDecision decision)
{
    public RateLimitDecision Decision { get; } = decision;
}

using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Unicode;
using DataForgeGateway.Primitives;
using DataForgeGateway.RateLimiting;

namespace DataForgeGateway.Audit;

/// <summary>
/// What happened to one request, read from the facts each stage published (features) once it is over, and then
/// written. It holds who called (caller and key id, never the key), what they asked for, and what came of it. Only
/// the audit writes it; it is not a feature of the request.
/// </summary>
public sealed class AuditRecord
{
    public DateTimeOffset Time { get; set; }

    /// <summary>forwarded, replayed, shared, cached, served (the gateway's own answer: the OpenAPI document), denied, invalid, conflict (an Idempotency-Key in flight), not_found, rate_limited, unavailable, upstream_error, caller_disconnected, gateway_shutdown (cut off by the gateway's own shutdown timeout), error.</summary>
    public string Outcome { get; set; } = "";

    public string? Caller { get; set; }

    public string? KeyId { get; set; }

    /// <summary>The workload's subject when the caller proved itself with a workload token (then there is no key id).</summary>
    public string? Subject { get; set; }

    public string? Environment { get; set; }

    public string? Operation { get; set; }

    public string Method { get; set; } = "";

    /// <summary>The route template when a route matched, else the path (cut short, keys redacted).</summary>
    public string Path { get; set; } = "";

    public string? SourceId { get; set; }

    public string? ProjectId { get; set; }

    public string? NameFilter { get; set; }

    public int Status { get; set; }

    /// <summary>What DataForge answered, when the request got that far.</summary>
    public int? UpstreamStatus { get; set; }

    public double DurationMs { get; set; }

    /// <summary>Where the token came from: memory, redis, auth0; none when no token was needed or had.</summary>
    public string? TokenSource { get; set; }

    /// <summary>The rate-limit decision: admitted or refused, where it was taken, and the remaining quota.</summary>
    public string? RateLimit => _rateLimit ??= RateLimitDecision is { } decision ? Describe(decision) : null;

    public string? ClientAddress => _clientAddress ??= ClientIp?.ToString();

    public string? TraceId => _traceId ??= Trace.TraceId == default ? null : Trace.TraceId.ToHexString();

    // Kept as they come and turned into text on the audit writer's thread, not on the request's.
    private string? _rateLimit;
    private string? _clientAddress;
    private string? _traceId;

    internal RateLimitDecision? RateLimitDecision { get; set; }

    internal IPAddress? ClientIp { get; set; }

    /// <summary>The request's trace context (<see cref="RequestTrace"/>).</summary>
    public ActivityContext Trace { get; internal set; }

    /// <summary>
    /// The rate-limit decision as the record says it (<c>admitted:redis:r=41</c>, <c>refused:local:source-pull</c>),
    /// in UTF-8 into <paramref name="text"/> (128 bytes is enough: a bucket name is an operation's or "caller").
    /// </summary>
    internal static int FormatRateLimit(in RateLimitDecision decision, Span<byte> text)
    {
        var source = SourceName(decision.Source);
        var written = 0;
        var done = decision.Admitted
            ? decision.Applied.Length == 0
                ? Utf8.TryWrite(text, $"admitted:{source}", out written)
                : Utf8.TryWrite(text, $"admitted:{source}:r={decision.MinRemaining}", out written)
            : Utf8.TryWrite(text, $"refused:{source}:{decision.RefusedBy}", out written);
        return done ? written : throw new InvalidOperationException("The rate-limit description did not fit its buffer.");
    }

    private static string Describe(in RateLimitDecision decision)
    {
        Span<byte> text = stackalloc byte[128];
        return Encoding.UTF8.GetString(text[..FormatRateLimit(decision, text)]);
    }

    private static string SourceName(DecisionSource source) => source switch
    {
        DecisionSource.Shared => "redis",
        DecisionSource.Local => "local",
        DecisionSource.LocalFallback => "local-fallback",
        DecisionSource.OpenFallback => "open-fallback",
        _ => "closed-fallback",
    };
}

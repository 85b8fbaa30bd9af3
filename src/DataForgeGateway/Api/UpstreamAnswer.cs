namespace DataForgeGateway.Api;

/// <summary>
/// The per-request fact of what DataForge answered a forward, published by the response transform that sees the
/// answer first (<c>Tokens/UpstreamAnswerTransform</c>) and read by the stages after it: the replay middleware (a 401
/// refuses the gateway's token), kept and shared answers, the audit. Set once per forward; a replay clears it
/// before it forwards again. One instance per status code: publishing it allocates nothing.
/// </summary>
public sealed class UpstreamAnswer
{
    private static readonly UpstreamAnswer[] Known = [.. Enumerable.Range(0, 600).Select(status => new UpstreamAnswer(status))];

    private UpstreamAnswer(int status) => Status = status;

    /// <summary>DataForge's status code.</summary>
    public int Status { get; }

    /// <summary>DataForge refused the gateway's token (401): its body is held back, the token renewed, the request replayed.</summary>
    public bool TokenRefused => Status == StatusCodes.Status401Unauthorized;

    /// <summary>The fact for a status code.</summary>
    public static UpstreamAnswer Of(int status) => (uint)status < (uint)Known.Length ? Known[status] : new UpstreamAnswer(status);
}

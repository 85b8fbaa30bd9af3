using Yarp.ReverseProxy.Forwarder;

namespace DataForgeGateway.Tokens;

/// <summary>
/// What the token transforms publish about one forwarded request: the token it was sent with and where that came
/// from (read by the replay middleware and the audit), and whether DataForge refused it.
/// </summary>
public sealed class TokenAttempt
{
    /// <summary>The token the request was sent with.</summary>
    public AccessToken? Sent { get; set; }

    /// <summary>Where <see cref="Sent"/> came from: this replica's memory, Redis, or Auth0.</summary>
    public TokenSource? Source { get; set; }

    /// <summary>DataForge answered 401 to it; its body was held back so the request can be answered anew.</summary>
    public bool Rejected { get; set; }

    /// <summary>
    /// Whether the response is DataForge's own answer: forwarded with a token it did not refuse, and not a forwarding
    /// error; so neither a gateway problem nor an answer cut short. What may be kept for others (idempotent retries,
    /// shared reads).
    /// </summary>
    public static bool DataForgeAnswered(HttpContext context) =>
        context.Features.Get<IForwarderErrorFeature>() is null && context.Features.Get<TokenAttempt>() is { Sent: not null, Rejected: false };
}

namespace DataForgeGateway.Tokens;

/// <summary>
/// The per-request fact the bearer transform publishes: the token a forward was sent with and where it came from
/// (read by the replay middleware, the token scrubber and the audit). Set once per forward, never changed: a
/// replayed request is a second forward, with a fact of its own. Made once per token result, so the usual request
/// (a token from this replica's memory) publishes it without allocating.
/// </summary>
public sealed class TokenSent(AccessToken token, TokenSource source)
{
    /// <summary>The token the request was sent with.</summary>
    public AccessToken Token { get; } = token;

    /// <summary>Where <see cref="Token"/> came from: this replica's memory, Redis, or Auth0.</summary>
    public TokenSource Source { get; } = source;
}

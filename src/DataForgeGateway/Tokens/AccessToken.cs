namespace DataForgeGateway.Tokens;

/// <summary>
/// An Auth0 access token and its lifetime. A credential: <see cref="ToString"/> shows no part of it, so a token
/// that ends up in a log line by mistake leaks nothing.
/// </summary>
public sealed class AccessToken
{
    private volatile bool _accepted;
    private volatile bool _refused;

    public AccessToken(string value, DateTimeOffset issuedAt, DateTimeOffset expiresAt, TimeSpan safetyMargin)
    {
        Value = value;
        IssuedAt = issuedAt;
        ExpiresAt = expiresAt;
        var lifetime = expiresAt - issuedAt;
        UsableUntil = expiresAt - TimeSpan.FromTicks(Math.Min(safetyMargin.Ticks, lifetime.Ticks / 2));
        AuthorizationHeader = "Bearer " + value;
        Bytes = System.Text.Encoding.ASCII.GetBytes(value);
    }

    /// <summary>The token as the bytes it is sent as, for finding it in DataForge's answers; made once.</summary>
    internal byte[] Bytes { get; }

    /// <summary>The bearer token itself.</summary>
    public string Value { get; }

    /// <summary>When Auth0 issued it (as the gateway's clock saw it).</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>When it stops working, from <c>expires_in</c>.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The last moment it is sent: its expiry less the safety margin.</summary>
    public DateTimeOffset UsableUntil { get; }

    /// <summary>The <c>Authorization</c> header value, built once rather than per request.</summary>
    public string AuthorizationHeader { get; }

    /// <summary>Where this replica got the token from (Redis or Auth0); later requests take it from memory.</summary>
    public TokenSource Origin { get; internal set; } = TokenSource.Auth0;

    /// <summary>DataForge answered a request sent with it with something other than 401: it was good once.</summary>
    public bool Accepted => _accepted;

    /// <summary>DataForge refused it (401): it is never sent again.</summary>
    public bool Refused => _refused;

    public bool IsUsableAt(DateTimeOffset now) => !_refused && now < UsableUntil;

    /// <summary>A token that served a request and is refused later was revoked; one never accepted may be wrong.</summary>
    internal void MarkAccepted()
    {
        if (!_accepted)
        {
            _accepted = true;
        }
    }

    internal void MarkRefused() => _refused = true;

    public override string ToString() => $"AccessToken(expires {ExpiresAt:O})";
}

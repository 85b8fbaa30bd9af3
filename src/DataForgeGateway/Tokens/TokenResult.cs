using System.Diagnostics.CodeAnalysis;

namespace DataForgeGateway.Tokens;

/// <summary>Why no token could be had.</summary>
public enum TokenFailure
{
    /// <summary>The endpoint could not be reached, or answered 5xx; or another replica's request just failed so.</summary>
    Unavailable,

    /// <summary>The endpoint did not answer within the request timeout.</summary>
    Timeout,

    /// <summary>The tenant answered 429.</summary>
    RateLimited,

    /// <summary>
    /// The tenant refused the credentials (401/403: wrong secret, revoked grant, unknown audience), or DataForge
    /// refuses even fresh tokens.
    /// </summary>
    Rejected,

    /// <summary>A success status whose body is not a usable token.</summary>
    InvalidResponse,
}

/// <summary>
/// What asking for a token came to: a token and where it came from, or a failure with its kind, a message in the
/// gateway's own words (nothing from the endpoint's body, so it is safe to log) and how long to wait. Turned into a
/// problem for the caller only at the edges (the bearer transform, the replay middleware).
/// </summary>
public sealed class TokenResult
{
    private TokenResult(AccessToken? token, TokenSource source, TokenFailure failure, string? message, TimeSpan? retryAfter)
    {
        Token = token;
        Source = source;
        Failure = failure;
        Message = message;
        RetryAfter = retryAfter;
        Sent = token is null ? null : new TokenSent(token, source);
    }

    /// <summary>The token, when one was had.</summary>
    public AccessToken? Token { get; }

    /// <summary>Where the token, or the failure, came from: this replica's memory, Redis (another replica), or Auth0.</summary>
    public TokenSource Source { get; }

    /// <summary>Why there is no token; meaningful only when <see cref="Succeeded"/> is false.</summary>
    public TokenFailure Failure { get; }

    /// <summary>What happened, safe to log; null on success.</summary>
    public string? Message { get; }

    /// <summary>How long to wait before asking again, when there is no token.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The fact a forward sent with this token publishes (<see cref="TokenSent"/>), made once with the result.</summary>
    public TokenSent? Sent { get; }

    [MemberNotNullWhen(true, nameof(Token), nameof(Sent))]
    public bool Succeeded => Token is not null;

    public static TokenResult Success(AccessToken token, TokenSource source) => new(token, source, default, null, null);

    public static TokenResult Failed(TokenFailure failure, string message, TimeSpan? retryAfter, TokenSource source = TokenSource.Auth0) =>
        new(null, source, failure, message, retryAfter);

    /// <summary>The same failure, with the wait the gateway will actually keep.</summary>
    public TokenResult WithRetryAfter(TimeSpan retryAfter) => new(null, Source, Failure, Message, retryAfter);

    public override string ToString() => Succeeded ? $"token from {Source}" : $"{Failure}: {Message}";
}

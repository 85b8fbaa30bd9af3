namespace DataForgeGateway.Tokens;

/// <summary>Why no token could be had from the token endpoint.</summary>
public enum TokenFailure
{
    /// <summary>The endpoint could not be reached, or answered 5xx.</summary>
    Unavailable,

    /// <summary>The endpoint did not answer within the request timeout.</summary>
    Timeout,

    /// <summary>The tenant answered 429.</summary>
    RateLimited,

    /// <summary>The tenant refused the credentials (401/403): wrong secret, revoked grant, unknown audience.</summary>
    Rejected,

    /// <summary>A success status whose body is not a usable token.</summary>
    InvalidResponse,
}

/// <summary>
/// No token could be had. The message says what happened in the gateway's words; nothing from the endpoint's
/// body is in it, so it is safe to log.
/// </summary>
public sealed class TokenRequestException : Exception
{
    public TokenRequestException(TokenFailure failure, string message, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        RetryAfter = retryAfter;
    }

    public TokenRequestException()
    {
    }

    public TokenRequestException(string message)
        : base(message)
    {
    }

    public TokenRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TokenFailure Failure { get; }

    /// <summary>How long a caller should wait before trying again.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The same failure, with the wait the gateway will actually keep.</summary>
    public TokenRequestException WithRetryAfter(TimeSpan retryAfter) => new(Failure, Message, retryAfter, this);
}

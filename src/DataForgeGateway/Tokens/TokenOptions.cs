using Microsoft.Extensions.Options;

namespace DataForgeGateway.Tokens;

/// <summary>How the gateway gets and reuses the Auth0 M2M tokens it injects.</summary>
public sealed class TokenOptions
{
    public const string SectionName = "Gateway:Tokens";

    /// <summary>A token is not sent once it is this close to expiry (at most half its lifetime); a new one is fetched first.</summary>
    public TimeSpan ExpirySafetyMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one request to the token endpoint may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The <c>Retry-After</c> a caller is given when no token can be had and Auth0 named no wait of its own.</summary>
    public TimeSpan RetryAfterWhenUnavailable { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Share of a token's lifetime after which it is refreshed in the background, before any request needs a new one.</summary>
    public double RefreshAfter { get; set; } = 0.8;

    /// <summary>Random spread (a share of the lifetime, either way) around <see cref="RefreshAfter"/>, so replicas do not refresh together.</summary>
    public double RefreshJitter { get; set; } = 0.05;

    /// <summary>First wait after a failed token request; it doubles, with jitter, on each further failure.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between token requests while the token endpoint keeps failing.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Longest wait between token requests while this replica holds no token it may send (it is not Ready, and every
    /// request gets 503), so it is Ready within seconds of Auth0 answering; a replica with a usable token waits up to
    /// <see cref="RetryMaxDelay"/>. Auth0's own Retry-After is honoured as before. Credentials Auth0 refuses wait as long
    /// as ever: they do not come right by themselves, and a fixed secret starts a fetch at once.
    /// </summary>
    public TimeSpan RetryMaxDelayWithoutToken { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one replica may hold the Redis lock while it fetches; a crashed holder blocks the others no longer.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Largest request body kept so the request can be replayed once when DataForge rejects the token.</summary>
    public int MaxReplayBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// <paramref name="wait"/>, but never longer than <see cref="RetryMaxDelay"/>: no wait asked for from outside (a
    /// Retry-After, another replica's marker) holds token fetching longer than the gateway's own back-off would.
    /// </summary>
    internal TimeSpan AtMostRetryMaxDelay(TimeSpan wait) => wait < RetryMaxDelay ? wait : RetryMaxDelay;

    /// <summary>The <paramref name="attempt"/>th wait of the exponential back-off: <see cref="RetryInitialDelay"/> doubling, up to <see cref="RetryMaxDelay"/>.</summary>
    internal TimeSpan ExponentialDelay(int attempt) => AtMostRetryMaxDelay(RetryInitialDelay * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30)));

    /// <summary>
    /// The wait after the <paramref name="failures"/>th failure in a row: equal jitter over the exponential delay
    /// (at least half of it, so replicas that failed together do not retry together; <paramref name="jitter"/> in
    /// [0, 1)), capped lower while the replica has no token; Auth0's Retry-After, or another replica's failure
    /// marker, honoured up to RetryMaxDelay and no longer: a confused endpoint asking for ten minutes must not stop
    /// token fetching for ten minutes.
    /// </summary>
    internal TimeSpan Backoff(int failures, TimeSpan? retryAfter, bool withoutToken, double jitter)
    {
        var capped = ExponentialDelay(failures);
        if (withoutToken && capped > RetryMaxDelayWithoutToken)
        {
            capped = RetryMaxDelayWithoutToken;
        }

        var delay = (capped / 2) + (capped / 2 * jitter);
        return retryAfter is { } asked && AtMostRetryMaxDelay(asked) is var honoured && honoured > delay ? honoured : delay;
    }

    internal sealed class Validator : IValidateOptions<TokenOptions>
    {
        public ValidateOptionsResult Validate(string? name, TokenOptions options)
        {
            var failures = new List<string>();
            if (options.ExpirySafetyMargin < TimeSpan.Zero)
            {
                failures.Add($"{SectionName}:ExpirySafetyMargin must not be negative.");
            }

            if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > TimeSpan.FromMinutes(2))
            {
                failures.Add($"{SectionName}:RequestTimeout must be more than zero and at most 00:02:00.");
            }

            if (options.RetryAfterWhenUnavailable <= TimeSpan.Zero)
            {
                failures.Add($"{SectionName}:RetryAfterWhenUnavailable must be more than zero.");
            }

            if (options.RefreshAfter is < 0.1 or > 0.95)
            {
                failures.Add($"{SectionName}:RefreshAfter must be between 0.1 and 0.95 (a share of the token's lifetime).");
            }

            if (options.RefreshJitter < 0 || options.RefreshJitter > Math.Min(options.RefreshAfter, 1 - options.RefreshAfter))
            {
                failures.Add($"{SectionName}:RefreshJitter must be at least 0 and keep RefreshAfter plus or minus it within the lifetime.");
            }

            if (options.RetryInitialDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryInitialDelay)
            {
                failures.Add($"{SectionName}:RetryInitialDelay must be more than zero and RetryMaxDelay at least as long.");
            }

            if (options.RetryMaxDelayWithoutToken <= TimeSpan.Zero)
            {
                failures.Add($"{SectionName}:RetryMaxDelayWithoutToken must be more than zero.");
            }

            if (options.LockTimeout <= options.RequestTimeout)
            {
                failures.Add($"{SectionName}:LockTimeout must be longer than {SectionName}:RequestTimeout, or a slow fetch would lose its lock.");
            }

            if (options.MaxReplayBodyBytes < 0)
            {
                failures.Add($"{SectionName}:MaxReplayBodyBytes must not be negative.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}

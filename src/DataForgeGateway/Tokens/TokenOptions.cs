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

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}

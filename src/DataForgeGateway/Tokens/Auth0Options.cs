using System.Text.RegularExpressions;

namespace DataForgeGateway.Tokens;

/// <summary>The Auth0 M2M application (<c>&lt;environment&gt;-External-&lt;client&gt;</c>) of one environment.</summary>
public sealed partial class Auth0Options
{
    /// <summary>The tenant's domain, for example <c>dataforgedev.us.auth0.com</c>; tokens come from <c>https://{Domain}/oauth/token</c>.</summary>
    public string Domain { get; set; } = "";

    /// <summary>A full token URL instead of <see cref="Domain"/>; wins when both are set. The only way to use plain http.</summary>
    public string TokenUrl { get; set; } = "";

    /// <summary>The M2M application's client id.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The M2M application's client secret. Keep it in a secret store, never in a file in the repository.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>The API identifier the token is for, for example <c>https://stage.api.dataforgedev.com</c>.</summary>
    public string Audience { get; set; } = "";

    /// <summary>The URL tokens are requested from.</summary>
    public Uri ResolveTokenUrl() =>
        !string.IsNullOrWhiteSpace(TokenUrl) ? new Uri(TokenUrl) : new Uri($"https://{Domain}/oauth/token");

    internal void Validate(string key, List<string> failures)
    {
        if (!string.IsNullOrWhiteSpace(TokenUrl))
        {
            if (!Routing.GatewayOptions.Validator.IsHttpUrl(TokenUrl))
            {
                failures.Add($"{key}:TokenUrl must be an absolute http or https URL.");
            }
        }
        else if (string.IsNullOrWhiteSpace(Domain))
        {
            failures.Add($"{key}:Domain is required (or {key}:TokenUrl): it names the Auth0 tenant that issues tokens.");
        }
        else if (!HostName().IsMatch(Domain))
        {
            failures.Add($"{key}:Domain must be a host name such as dataforgedev.us.auth0.com, without scheme or path.");
        }

        Require(ClientId, $"{key}:ClientId", failures);
        Require(ClientSecret, $"{key}:ClientSecret", failures);
        Require(Audience, $"{key}:Audience", failures);
    }

    private static void Require(string value, string key, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{key} is required.");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")]
    private static partial Regex HostName();
}

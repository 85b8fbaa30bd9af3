using System.Text.RegularExpressions;

namespace DataForgeGateway.Settings;

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

    /// <summary>Optional <c>scope</c> parameter (space-separated), for token endpoints that want one.</summary>
    public string Scope { get; set; } = "";

    /// <summary>Further token request parameters (for example <c>organization</c> or <c>resource</c>), sent as given.</summary>
    public Dictionary<string, string> ExtraParameters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How the request body is encoded: <c>Json</c> (Auth0's own form, the default) or <c>Form</c> (RFC 6749).</summary>
    public TokenRequestFormat RequestFormat { get; set; } = TokenRequestFormat.Json;

    /// <summary>How the client authenticates: <c>Body</c> (client_secret in the body, Auth0's default) or <c>Basic</c> (HTTP Basic).</summary>
    public ClientAuthentication ClientAuthentication { get; set; } = ClientAuthentication.Body;

    /// <summary>The URL tokens are requested from.</summary>
    public Uri ResolveTokenUrl() =>
        !string.IsNullOrWhiteSpace(TokenUrl) ? new Uri(TokenUrl) : new Uri($"https://{Domain}/oauth/token");

    /// <summary>Whether two sets of settings ask for tokens the same way, secret included.</summary>
    internal static bool SameSettings(Auth0Options a, Auth0Options b) =>
        a.Domain == b.Domain && a.TokenUrl == b.TokenUrl && a.ClientId == b.ClientId && a.ClientSecret == b.ClientSecret
        && a.Audience == b.Audience && a.Scope == b.Scope && a.RequestFormat == b.RequestFormat && a.ClientAuthentication == b.ClientAuthentication
        && a.ExtraParameters.Count == b.ExtraParameters.Count && a.ExtraParameters.All(p => b.ExtraParameters.TryGetValue(p.Key, out var v) && v == p.Value);

    internal void Validate(string key, List<string> failures)
    {
        if (!string.IsNullOrWhiteSpace(TokenUrl))
        {
            if (!GatewayOptions.Validator.IsHttpUrl(TokenUrl))
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

        foreach (var parameter in ExtraParameters.Keys.Where(p => ReservedParameters.Contains(p)))
        {
            failures.Add($"{key}:ExtraParameters:{parameter} is set by the gateway itself; use the setting of that name instead.");
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

    private static readonly HashSet<string> ReservedParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "grant_type", "client_id", "client_secret", "audience", "scope",
    };

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")]
    private static partial Regex HostName();
}

/// <summary>How a token request's body is encoded.</summary>
public enum TokenRequestFormat
{
    /// <summary><c>application/json</c>, as Auth0 documents and the vendor's example sends.</summary>
    Json,

    /// <summary><c>application/x-www-form-urlencoded</c>, as RFC 6749 specifies.</summary>
    Form,
}

/// <summary>How the client proves who it is to the token endpoint.</summary>
public enum ClientAuthentication
{
    /// <summary><c>client_id</c> and <c>client_secret</c> in the body (<c>client_secret_post</c>).</summary>
    Body,

    /// <summary>HTTP Basic with the URL-encoded id and secret (<c>client_secret_basic</c>).</summary>
    Basic,
}

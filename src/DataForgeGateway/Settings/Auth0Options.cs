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

    /// <summary>
    /// How the client authenticates: <c>Body</c> (client_secret in the body, Auth0's default), <c>Basic</c> (HTTP Basic),
    /// or <c>PrivateKeyJwt</c> (a fresh assertion signed with <see cref="PrivateKeyFile"/> or <see cref="PrivateKey"/>; no client secret).
    /// </summary>
    public ClientAuthentication ClientAuthentication { get; set; } = ClientAuthentication.Body;

    /// <summary>With <c>PrivateKeyJwt</c>: a PEM file holding the RSA private key (a mounted Secret), read for every token request, so a rotated key is used at once.</summary>
    public string PrivateKeyFile { get; set; } = "";

    /// <summary>With <c>PrivateKeyJwt</c>: the RSA private key as PEM text, instead of <see cref="PrivateKeyFile"/>.</summary>
    public string PrivateKey { get; set; } = "";

    /// <summary>With <c>PrivateKeyJwt</c>: the <c>kid</c> Auth0 gave the application's credential (optional).</summary>
    public string KeyId { get; set; } = "";

    /// <summary>With <c>PrivateKeyJwt</c>: the assertion's algorithm, as registered with the credential: <c>RS256</c> (default), <c>RS384</c> or <c>PS256</c>.</summary>
    public string SigningAlgorithm { get; set; } = "RS256";

    /// <summary>The algorithms Auth0 accepts for private_key_jwt credentials.</summary>
    internal static readonly string[] SigningAlgorithms = ["RS256", "RS384", "PS256"];

    /// <summary>
    /// The private key's PEM text, from <see cref="PrivateKey"/> or read from <see cref="PrivateKeyFile"/> now; null with
    /// why when it cannot be had (the reason names the setting, never the key).
    /// </summary>
    internal string? ReadPrivateKey(out string? failure)
    {
        failure = null;
        if (PrivateKey.Length > 0)
        {
            return PrivateKey;
        }

        try
        {
            return File.ReadAllText(PrivateKeyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            failure = "PrivateKeyFile cannot be read";
            return null;
        }
    }

    /// <summary>The RSA key of <see cref="ReadPrivateKey"/>, checked: at least 2048 bits, private. The caller disposes it.</summary>
    internal System.Security.Cryptography.RSA? LoadPrivateKey(out string? failure)
    {
        if (ReadPrivateKey(out failure) is not { } pem)
        {
            return null;
        }

        var rsa = System.Security.Cryptography.RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            rsa.ExportParameters(includePrivateParameters: true);
            if (rsa.KeySize < 2048)
            {
                failure = "holds an RSA key shorter than 2048 bits";
                rsa.Dispose();
                return null;
            }

            return rsa;
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            failure = "holds no PEM RSA private key";
            rsa.Dispose();
            return null;
        }
    }

    /// <summary>The assertion's <c>aud</c>: the tenant's URL with a trailing slash, or the token URL's scheme and authority.</summary>
    internal string AssertionAudience() =>
        !string.IsNullOrWhiteSpace(TokenUrl) ? new Uri(TokenUrl).GetLeftPart(UriPartial.Authority) + "/" : $"https://{Domain}/";

    /// <summary>The URL tokens are requested from.</summary>
    public Uri ResolveTokenUrl() =>
        !string.IsNullOrWhiteSpace(TokenUrl) ? new Uri(TokenUrl) : new Uri($"https://{Domain}/oauth/token");

    /// <summary>Whether two sets of settings ask for tokens the same way, secret included.</summary>
    internal static bool SameSettings(Auth0Options a, Auth0Options b) =>
        a.Domain == b.Domain && a.TokenUrl == b.TokenUrl && a.ClientId == b.ClientId && a.ClientSecret == b.ClientSecret
        && a.Audience == b.Audience && a.Scope == b.Scope && a.RequestFormat == b.RequestFormat && a.ClientAuthentication == b.ClientAuthentication
        && a.PrivateKeyFile == b.PrivateKeyFile && a.PrivateKey == b.PrivateKey && a.KeyId == b.KeyId && a.SigningAlgorithm == b.SigningAlgorithm
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
        if (ClientAuthentication == ClientAuthentication.PrivateKeyJwt)
        {
            ValidatePrivateKey(key, failures);
        }
        else
        {
            Require(ClientSecret, $"{key}:ClientSecret", failures);
            if (PrivateKey.Length > 0 || PrivateKeyFile.Length > 0)
            {
                failures.Add($"{key}:{(PrivateKey.Length > 0 ? "PrivateKey" : "PrivateKeyFile")} is set but {key}:ClientAuthentication is not PrivateKeyJwt: say which the tenant expects.");
            }
        }

        Require(Audience, $"{key}:Audience", failures);
    }

    private void ValidatePrivateKey(string key, List<string> failures)
    {
        if (PrivateKey.Length > 0 == PrivateKeyFile.Length > 0)
        {
            failures.Add($"{key}:PrivateKeyFile (or {key}:PrivateKey) is required with ClientAuthentication PrivateKeyJwt, and only one of them.");
        }
        else
        {
            using var rsa = LoadPrivateKey(out var failure);
            if (failure is not null)
            {
                var setting = PrivateKey.Length > 0 ? "PrivateKey" : "PrivateKeyFile";
                failures.Add($"{key}:{setting} {(failure.StartsWith("PrivateKeyFile", StringComparison.Ordinal) ? "cannot be read" : failure)}.");
            }
        }

        if (!SigningAlgorithms.Contains(SigningAlgorithm, StringComparer.Ordinal))
        {
            failures.Add($"{key}:SigningAlgorithm must be one of {string.Join(", ", SigningAlgorithms)}.");
        }

        if (ClientSecret.Length > 0)
        {
            failures.Add($"{key}:ClientSecret is set with ClientAuthentication PrivateKeyJwt: remove it, the tenant no longer accepts it.");
        }
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
        "grant_type", "client_id", "client_secret", "audience", "scope", "client_assertion", "client_assertion_type",
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

    /// <summary>A JWT signed with the application's private key (<c>private_key_jwt</c>, RFC 7523): the tenant holds only the public key.</summary>
    PrivateKeyJwt,
}

using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace DataForgeGateway.WorkloadIdentity;

/// <summary>What one fetch of an issuer's keys came to: its signing keys, or why there are none (never a key's material).</summary>
internal readonly record struct FetchedKeys(IReadOnlyList<SecurityKey>? Keys, string? Failure);

/// <summary>
/// Where an issuer's signing keys come from: its OIDC discovery document's <c>jwks_uri</c>, a JWKS URI, or a JWKS
/// file. Parsing is Microsoft.IdentityModel's (<see cref="JsonWebKeySet"/>, <see cref="OpenIdConnectConfiguration"/>);
/// only asymmetric signing keys are kept.
/// </summary>
internal static class KeySetSource
{
    /// <summary>Larger than any real JWKS (Kubernetes publishes one or two keys, Google a handful).</summary>
    private const int MaxDocumentBytes = 512 * 1024;

    public static async Task<FetchedKeys> FetchAsync(WorkloadIssuerOptions issuer, HttpClient http, CancellationToken cancellationToken)
    {
        if (issuer.JwksFile.Length > 0)
        {
            return ReadFile(issuer.JwksFile);
        }

        var documents = new HttpDocumentRetriever(http) { RequireHttps = issuer.RequireHttps };
        try
        {
            if (issuer.JwksUri.Length > 0)
            {
                return Parse(await documents.GetDocumentAsync(issuer.JwksUri, cancellationToken), "the JWKS at JwksUri");
            }

            var discovery = issuer.Issuer.TrimEnd('/') + "/.well-known/openid-configuration";
            var configuration = OpenIdConnectConfiguration.Create(await documents.GetDocumentAsync(discovery, cancellationToken));

            // OpenID Connect Discovery 4.3: the document must name the issuer it was fetched for (no mix-up).
            if (!string.Equals(configuration.Issuer, issuer.Issuer, StringComparison.Ordinal))
            {
                return new FetchedKeys(null, "the discovery document names another issuer");
            }

            if (string.IsNullOrEmpty(configuration.JwksUri))
            {
                return new FetchedKeys(null, "the discovery document has no jwks_uri");
            }

            return Parse(await documents.GetDocumentAsync(configuration.JwksUri, cancellationToken), "the JWKS at the discovery document's jwks_uri");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new FetchedKeys(null, "the issuer did not answer in time");
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
        {
            // IdentityModel wraps a failed GET (status, TLS, refused connection) as an IOException whose message names the URL only.
            return new FetchedKeys(null, $"the issuer's keys could not be fetched ({e.GetType().Name})");
        }
    }

    /// <summary>The keys in a JWKS file, or why there are none; also used to check the setting at start-up and on reload.</summary>
    public static FetchedKeys ReadFile(string path)
    {
        string json;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return new FetchedKeys(null, "names a file that does not exist");
            }

            if (info.Length > MaxDocumentBytes)
            {
                return new FetchedKeys(null, "is larger than a JWKS can be");
            }

            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FetchedKeys(null, "names a file that cannot be read");
        }

        return Parse(json, "holds no JWKS with an asymmetric signing key");
    }

    private static FetchedKeys Parse(string json, string what)
    {
        if (json.Length > MaxDocumentBytes)
        {
            return new FetchedKeys(null, $"{what} is larger than a JWKS can be");
        }

        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json);
        }
        catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException)
        {
            return new FetchedKeys(null, what.StartsWith("holds", StringComparison.Ordinal) ? what : $"{what} is not a JWKS");
        }

        // Symmetric keys ('oct') are never signing keys of an issuer: a JWKS holding one is ignored in that part.
        List<SecurityKey> keys = [.. set.Keys.Where(k => k.Kty is JsonWebAlgorithmsKeyTypes.RSA or JsonWebAlgorithmsKeyTypes.EllipticCurve && k.Use is null or "" or JsonWebKeyUseNames.Sig)];
        return keys.Count > 0
            ? new FetchedKeys(keys, null)
            : new FetchedKeys(null, what.StartsWith("holds", StringComparison.Ordinal) ? what : $"{what} holds no asymmetric signing key");
    }
}

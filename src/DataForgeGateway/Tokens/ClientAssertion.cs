using DataForgeGateway.Settings;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataForgeGateway.Tokens;

/// <summary>
/// The <c>private_key_jwt</c> client assertion of one token request (RFC 7523, as Auth0 documents it): <c>iss</c> and
/// <c>sub</c> the client id, <c>aud</c> the tenant's URL with its trailing slash, a fresh <c>jti</c>, <c>iat</c> now and
/// <c>exp</c> a minute later, signed by Microsoft.IdentityModel with the key read from its setting for this request.
/// </summary>
internal static class ClientAssertion
{
    public const string Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>Auth0 accepts at most five minutes and recommends one: an assertion is used once, at once.</summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>The signed assertion; throws <see cref="ClientAssertionException"/> (naming the setting, never the key) when the key cannot be used.</summary>
    public static string Create(Auth0Options auth0, DateTimeOffset now)
    {
        using var rsa = auth0.LoadPrivateKey(out var failure)
            ?? throw new ClientAssertionException($"the private key cannot be used ({(auth0.PrivateKey.Length > 0 ? "PrivateKey" : "PrivateKeyFile")} {failure})");
        var key = new RsaSecurityKey(rsa) { KeyId = auth0.KeyId.Length > 0 ? auth0.KeyId : null };
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth0.ClientId,
            Audience = auth0.AssertionAudience(),
            IssuedAt = now.UtcDateTime,
            Expires = now.Add(Lifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = auth0.ClientId,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
            },
            SigningCredentials = new SigningCredentials(key, auth0.SigningAlgorithm) { CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } },
        });
    }
}

/// <summary>The configured private key could not be used for an assertion; the message names the setting only.</summary>
internal sealed class ClientAssertionException(string message) : Exception(message);

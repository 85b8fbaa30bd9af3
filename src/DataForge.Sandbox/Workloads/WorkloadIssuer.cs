using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataForge.Sandbox.Workloads;

/// <summary>
/// A cluster's service-account token issuer, as Kubernetes runs one: OIDC discovery at
/// <c>/.well-known/openid-configuration</c>, its public keys at <c>/openid/v1/jwks</c>, RS256 tokens with
/// <c>sub</c> <c>system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;</c> for the audience a pod asks for. Its keys can be
/// rotated while it runs, the old key kept published or withdrawn, as a cluster operator would.
/// </summary>
public sealed class WorkloadIssuer(TimeProvider clock)
{
    private readonly Lock _gate = new();
    private List<RsaSecurityKey> _published = [NewKey()];
    private long _jwksFetches;
    private long _discoveryFetches;

    /// <summary>The key new tokens are signed with.</summary>
    public RsaSecurityKey SigningKey
    {
        get
        {
            lock (_gate)
            {
                return _published[^1];
            }
        }
    }

    /// <summary>How many times the JWKS was fetched: what a flood of bad tokens would cost the issuer.</summary>
    public long JwksFetches => Interlocked.Read(ref _jwksFetches);

    /// <summary>How many times the discovery document was fetched.</summary>
    public long DiscoveryFetches => Interlocked.Read(ref _discoveryFetches);

    /// <summary>A token from <paramref name="issuer"/> for <paramref name="subject"/> and <paramref name="audience"/>, signed with the current key.</summary>
    public string Mint(string issuer, string subject, string audience, TimeSpan? lifetime = null, DateTimeOffset? notBefore = null, SigningCredentials? signedWith = null)
    {
        var now = clock.GetUtcNow();
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = (notBefore ?? now).UtcDateTime,
            Expires = now.Add(lifetime ?? TimeSpan.FromHours(1)).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["kubernetes.io"] = new Dictionary<string, object> { ["namespace"] = subject.Split(':').ElementAtOrDefault(2) ?? "" },
            },
            SigningCredentials = signedWith ?? new SigningCredentials(SigningKey, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A new signing key; the old ones stay published unless <paramref name="withdrawOld"/>, as after a cluster's key rotation.</summary>
    public RsaSecurityKey Rotate(bool withdrawOld)
    {
        var key = NewKey();
        lock (_gate)
        {
            _published = withdrawOld ? [key] : [.. _published, key];
        }

        return key;
    }

    /// <summary>The published keys as a JWKS document (public parts only).</summary>
    public object Jwks()
    {
        Interlocked.Increment(ref _jwksFetches);
        List<RsaSecurityKey> keys;
        lock (_gate)
        {
            keys = _published;
        }

        return new
        {
            keys = keys.Select(k =>
            {
                var parameters = k.Rsa.ExportParameters(false);
                return new Dictionary<string, string>
                {
                    ["kty"] = "RSA",
                    ["use"] = "sig",
                    ["alg"] = "RS256",
                    ["kid"] = k.KeyId,
                    ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                    ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                };
            }).ToList(),
        };
    }

    /// <summary>The discovery document of the issuer at <paramref name="issuer"/>.</summary>
    public object Discovery(string issuer)
    {
        Interlocked.Increment(ref _discoveryFetches);
        return new Dictionary<string, object>
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = $"{issuer}/openid/v1/jwks",
            ["response_types_supported"] = new[] { "id_token" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        };
    }

    private static RsaSecurityKey NewKey() =>
        new(RSA.Create(2048)) { KeyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)) };
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataForge.Sandbox.Auth0;

/// <summary>One client assertion as the tenant received it, for tests to check what the gateway sent.</summary>
public sealed record ReceivedAssertion(string Issuer, string Subject, IReadOnlyList<string> Audiences, string? Jti, long? IssuedAt, long? Expires, string? KeyId, string Algorithm);

/// <summary>
/// <c>private_key_jwt</c> client authentication (RFC 7523) as Auth0 checks it: the application's registered public keys
/// (one or two, for rotation), an assertion signed by one of them with <c>iss</c> and <c>sub</c> the client id, <c>aud</c>
/// the tenant's URL with its trailing slash, an <c>exp</c> at most five minutes after <c>iat</c>, and a <c>jti</c> never
/// seen before. With keys registered the application no longer accepts its client secret, as in Auth0.
/// </summary>
public sealed partial class ClientAssertions(TimeProvider clock)
{
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private static readonly TimeSpan LongestLifetime = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ReceivedAssertion> _received = new();
    private volatile List<SecurityKey> _keys = [];

    /// <summary>Whether the application authenticates with private_key_jwt (public keys are registered).</summary>
    public bool Enabled => _keys.Count > 0;

    /// <summary>Every assertion received, valid or not, oldest first.</summary>
    public IReadOnlyList<ReceivedAssertion> Received => [.. _received];

    /// <summary>Replaces the application's credentials with these PEM public keys (none: back to the client secret).</summary>
    public void Register(string pems)
    {
        List<SecurityKey> keys = [];
        foreach (Match match in PublicKeyPem().Matches(pems))
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(match.Value);
            keys.Add(new RsaSecurityKey(rsa) { KeyId = Base64UrlEncoder.Encode(new RsaSecurityKey(rsa.ExportParameters(false)).ComputeJwkThumbprint()) });
        }

        _keys = keys;
    }

    /// <summary>Null when the assertion authenticates <paramref name="clientId"/>; otherwise Auth0's kind of description of why not.</summary>
    public async Task<string?> VerifyAsync(string assertion, string clientId, IReadOnlyList<string> audiences)
    {
        JsonWebToken token;
        try
        {
            token = new JsonWebToken(assertion);
        }
        catch (ArgumentException)
        {
            return "The client_assertion is not a JWT.";
        }

        _received.Enqueue(new ReceivedAssertion(
            token.Issuer,
            token.Subject,
            [.. token.Audiences],
            token.Id,
            token.TryGetPayloadValue<long>("iat", out var iat) ? iat : null,
            token.TryGetPayloadValue<long>("exp", out var exp) ? exp : null,
            string.IsNullOrEmpty(token.Kid) ? null : token.Kid,
            token.Alg));

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = clientId,
            ValidAudiences = audiences,
            IssuerSigningKeys = _keys,
            ValidAlgorithms = ["RS256", "RS384", "PS256"],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(10),
            TryAllIssuerSigningKeys = true,
        });
        if (!result.IsValid)
        {
            return $"Invalid client_assertion: {result.Exception?.GetType().Name}.";
        }

        if (token.Subject != clientId)
        {
            return "The client_assertion's sub must be the client id.";
        }

        var now = clock.GetUtcNow();
        var issuedAt = iat > 0 ? DateTimeOffset.FromUnixTimeSeconds(iat) : now;
        if (DateTimeOffset.FromUnixTimeSeconds(exp) - issuedAt > LongestLifetime)
        {
            return "The client_assertion lives longer than 5 minutes.";
        }

        if (string.IsNullOrEmpty(token.Id) || !_seen.TryAdd(token.Id, DateTimeOffset.FromUnixTimeSeconds(exp)))
        {
            return "The client_assertion's jti is missing or was used before.";
        }

        foreach (var (jti, expires) in _seen)
        {
            if (expires < now - LongestLifetime)
            {
                _seen.TryRemove(jti, out _);
            }
        }

        return null;
    }

    [GeneratedRegex("-----BEGIN (RSA )?PUBLIC KEY-----[^-]+-----END (RSA )?PUBLIC KEY-----")]
    private static partial Regex PublicKeyPem();
}

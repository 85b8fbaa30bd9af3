using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace DataForge.Sandbox.Auth0;

/// <summary>Issues and checks the tenant's HS256 JWTs, as an Auth0 tenant and the API behind it would.</summary>
public sealed class TokenIssuer(IOptionsMonitor<SandboxOptions> options, TimeProvider clock, SandboxRecorder recorder)
{
    private readonly ConcurrentDictionary<string, byte> _revoked = new(StringComparer.Ordinal);
    private long _issued;
    private long _revokedThrough;

    /// <summary>Issues a token for the tenant's one application.</summary>
    public string Issue(string audience, string? scope)
    {
        var settings = options.CurrentValue;
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var header = Base64Url("""{"alg":"HS256","typ":"JWT"}"""u8);
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["iss"] = $"https://{settings.Domain}/",
            ["sub"] = $"{settings.ClientId}@clients",
            ["aud"] = audience,
            ["iat"] = now,
            ["exp"] = now + settings.TokenLifetimeSeconds,
            ["gty"] = "client-credentials",
            ["azp"] = settings.ClientId,
            ["scope"] = scope,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["seq"] = Interlocked.Increment(ref _issued),
        }));
        var signingInput = $"{header}.{payload}";
        recorder.RecordTokenIssued();
        return $"{signingInput}.{Sign(signingInput, settings.SigningKey)}";
    }

    /// <summary>Makes a token fail at the API from now on, as a revoked grant or rotated signing key would.</summary>
    public void Revoke(string token) => _revoked[token] = 0;

    /// <summary>Makes every token issued so far fail at the API, as a rotated signing key would; later ones work.</summary>
    public void RevokeAll() => Interlocked.Exchange(ref _revokedThrough, Interlocked.Read(ref _issued));

    /// <summary>Whether the API accepts this bearer token: signed by the tenant, for its audience, not expired, not revoked.</summary>
    public bool IsValid(string token)
    {
        var settings = options.CurrentValue;
        var parts = token.Split('.');
        if (parts.Length != 3 || _revoked.ContainsKey(token))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign($"{parts[0]}.{parts[1]}", settings.SigningKey));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2])))
        {
            return false;
        }

        using var claims = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
        var exp = claims.RootElement.GetProperty("exp").GetInt64();
        var aud = claims.RootElement.GetProperty("aud").GetString();
        var revoked = claims.RootElement.TryGetProperty("seq", out var seq) && seq.GetInt64() <= Interlocked.Read(ref _revokedThrough);
        return !revoked && aud == settings.Audience && clock.GetUtcNow().ToUnixTimeSeconds() < exp;
    }

    private static string Sign(string input, string key) =>
        Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(input)));

    private static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

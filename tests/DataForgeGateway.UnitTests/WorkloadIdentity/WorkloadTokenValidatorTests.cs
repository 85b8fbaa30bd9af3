using System.Security.Cryptography;
using System.Text.Json;
using DataForgeGateway.Primitives;
using DataForgeGateway.WorkloadIdentity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataForgeGateway.UnitTests.WorkloadIdentity;

/// <summary>Each reason a workload token is refused, on an issuer whose keys are in a file; no server, no network.</summary>
public sealed class WorkloadTokenValidatorTests : IDisposable
{
    private const string Issuer = "https://issuer.test";
    private const string Audience = "dataforge-gateway";
    private const string Subject = "system:serviceaccount:billing:billing-svc";

    private readonly string _folder = Directory.CreateTempSubdirectory("dfgw-validator-").FullName;
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "key-1" };
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly ServiceProvider _services;
    private readonly WorkloadTokenValidator _validator;

    public WorkloadTokenValidatorTests()
    {
        WriteJwks(_key);
        var services = new ServiceCollection();
        services.AddLogging().AddHttpClient().AddLiveOptions();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddOptions<WorkloadIdentityOptions>().Configure(options => options.Issuers["cluster"] = new WorkloadIssuerOptions
        {
            Issuer = Issuer,
            Audience = Audience,
            JwksFile = Path.Combine(_folder, "jwks.json"),
        });
        services.AddSingleton<WorkloadTokenValidator>();
        _services = services.BuildServiceProvider();
        _validator = _services.GetRequiredService<WorkloadTokenValidator>();
    }

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_good_token_gives_its_issuer_and_subject()
    {
        var result = await _validator.ValidateAsync(Token(), default);

        Assert.Equal(new WorkloadToken(WorkloadTokenCheck.Valid, "cluster", Subject), result);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "expired", "Expired" },
        { "expired-within-skew", "Valid" },
        { "not-yet-valid", "NotYetValid" },
        { "wrong-audience", "WrongAudience" },
        { "unknown-issuer", "UnknownIssuer" },
        { "other-key", "BadSignature" },
        { "alg-none", "BadSignature" },
        { "hs256-keyed-with-the-public-key", "BadSignature" },
        { "rs256-not-allowed", "BadSignature" },
        { "no-subject", "Malformed" },
        { "no-expiry", "Malformed" },
        { "garbage", "Malformed" },
        { "non-ascii", "Malformed" },
        { "too-long", "Malformed" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Each_failed_check_has_its_reason(string kind, string expected)
    {
        var now = DateTimeOffset.UtcNow;
        using var other = RSA.Create(2048);
        var token = kind switch
        {
            "expired" => Token(expires: now.AddMinutes(-5), notBefore: now.AddHours(-1)),
            "expired-within-skew" => Token(expires: now.AddSeconds(-10), notBefore: now.AddHours(-1)),
            "not-yet-valid" => Token(notBefore: now.AddMinutes(5)),
            "wrong-audience" => Token(audience: "another-service"),
            "unknown-issuer" => Token(issuer: "https://elsewhere.test"),
            "other-key" => Token(key: new RsaSecurityKey(other) { KeyId = "key-1" }),
            "alg-none" => $"{Segment(new { alg = "none" })}.{Segment(Claims(now))}.",
            "hs256-keyed-with-the-public-key" => Hs256(System.Text.Encoding.ASCII.GetBytes(_key.Rsa.ExportSubjectPublicKeyInfoPem()), Claims(now)),
            "rs256-not-allowed" => Token(),
            "no-subject" => Token(subject: null),
            "no-expiry" => Sign(Claims(now, withExpiry: false)),
            "garbage" => "a.b.c",
            "non-ascii" => Token() + "é",
            "too-long" => new string('a', WorkloadTokenValidator.MaxTokenLength + 1),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        if (kind == "rs256-not-allowed")
        {
            _services.GetRequiredService<LiveOptions<WorkloadIdentityOptions>>().Current.Issuers["cluster"].Algorithms.Add("ES256");
        }

        var result = await _validator.ValidateAsync(token, default);

        Assert.Equal(Enum.Parse<WorkloadTokenCheck>(expected), result.Check);
    }

    [Fact]
    public async Task A_remembered_token_is_refused_once_it_expires()
    {
        var token = Token(expires: DateTimeOffset.UtcNow.AddMinutes(2));
        Assert.Equal(WorkloadTokenCheck.Valid, (await _validator.ValidateAsync(token, default)).Check);

        _clock.Advance(TimeSpan.FromSeconds(135));   // 15 s past its expiry, within the skew of 30 s: still good
        Assert.Equal(WorkloadTokenCheck.Valid, (await _validator.ValidateAsync(token, default)).Check);

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(WorkloadTokenCheck.Expired, (await _validator.ValidateAsync(token, default)).Check);
    }

    [Fact]
    public async Task Keys_of_a_file_that_holds_no_asymmetric_key_are_unavailable()
    {
        File.WriteAllText(Path.Combine(_folder, "jwks.json"), """{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"key-1"}]}""");

        var result = await _validator.ValidateAsync(Token(), default);

        Assert.Equal(WorkloadTokenCheck.KeysUnavailable, result.Check);
    }

    private string Token(string issuer = Issuer, string audience = Audience, string? subject = Subject, DateTimeOffset? expires = null, DateTimeOffset? notBefore = null, RsaSecurityKey? key = null)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = (notBefore ?? now).ToUnixTimeSeconds(),
            ["exp"] = (expires ?? now.AddHours(1)).ToUnixTimeSeconds(),
        };
        if (subject is not null)
        {
            claims["sub"] = subject;
        }

        return Sign(claims, key);
    }

    private static Dictionary<string, object> Claims(DateTimeOffset now, bool withExpiry = true)
    {
        var claims = new Dictionary<string, object> { ["iss"] = Issuer, ["aud"] = Audience, ["sub"] = Subject, ["iat"] = now.ToUnixTimeSeconds() };
        if (withExpiry)
        {
            claims["exp"] = now.AddHours(1).ToUnixTimeSeconds();
        }

        return claims;
    }

    private string Sign(Dictionary<string, object> claims, RsaSecurityKey? key = null) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(JsonSerializer.Serialize(claims), new SigningCredentials(key ?? _key, SecurityAlgorithms.RsaSha256));

    private static string Segment(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));

    private static string Hs256(byte[] secret, object claims)
    {
        var input = $"{Segment(new { alg = "HS256", kid = "key-1" })}.{Segment(claims)}";
        return $"{input}.{Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, System.Text.Encoding.ASCII.GetBytes(input)))}";
    }

    private void WriteJwks(RsaSecurityKey key)
    {
        var parameters = key.Rsa.ExportParameters(false);
        var jwks = new { keys = new[] { new { kty = "RSA", use = "sig", kid = key.KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) } } };
        File.WriteAllText(Path.Combine(_folder, "jwks.json"), JsonSerializer.Serialize(jwks));
    }
}

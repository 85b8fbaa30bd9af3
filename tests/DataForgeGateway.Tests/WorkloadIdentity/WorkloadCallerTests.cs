using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataForgeGateway.Tests.WorkloadIdentity;

public sealed class WorkloadCallerTests : WorkloadTest
{
    protected override Dictionary<string, string?> Settings => new()
    {
        [$"Gateway:Callers:{GatewayHost.OtherCallerName}:Workloads:0:Issuer"] = "cluster",
        [$"Gateway:Callers:{GatewayHost.OtherCallerName}:Workloads:0:Subject"] = OtherSubject,
        [$"Gateway:Callers:{GatewayHost.OtherCallerName}:Operations:0"] = "sources",
    };

    [Fact]
    public async Task A_workload_token_is_its_caller_and_DataForge_sees_only_the_gateways_token()
    {
        var token = Mint();
        using var caller = CreateWorkload(token);

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(Sandbox.Recorder.Requests);
        Assert.NotNull(forwarded.Authorization);
        Assert.DoesNotContain(token, forwarded.Authorization, StringComparison.Ordinal);
        Assert.True(Sandbox.Issuer.IsValid(forwarded.Authorization!["Bearer ".Length..]), "DataForge got the gateway's Auth0 token");
        Assert.DoesNotContain(forwarded.Headers.Values, value => value.Contains(token, StringComparison.Ordinal));

        await Eventually.HoldsAsync(() => Gateway.Logs.AuditRecords.Count == 1, "one audit record");
        var audit = JsonDocument.Parse(Gateway.Logs.AuditRecords[0]).RootElement;
        Assert.Equal(GatewayHost.CallerName, audit.GetProperty("caller").GetString());
        Assert.Equal(Subject, audit.GetProperty("subject").GetString());
        Assert.False(audit.TryGetProperty("key_id", out _));
        Assert.Equal("forwarded", audit.GetProperty("outcome").GetString());
        Assert.DoesNotContain(token, Gateway.Logs.AuditRecords[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workload_caller_gets_its_own_permissions()
    {
        using var reporting = CreateWorkload(Mint(OtherSubject));

        using var listed = await reporting.GetAsync("/external/sources?projectId=1");
        using var pulled = await reporting.PostAsync("/external/source-pull/19643", null);

        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        await Problem.AssertAsync(pulled, HttpStatusCode.Forbidden, "forbidden");
        Assert.Single(Sandbox.Recorder.Requests);
    }

    [Fact]
    public async Task The_same_token_is_accepted_on_every_request_of_its_lifetime()
    {
        using var caller = CreateWorkload(Mint());

        for (var i = 0; i < 20; i++)
        {
            using var response = await caller.GetAsync("/external/sources?projectId=1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(20, Sandbox.Recorder.ApiCalls);
    }

    [Fact]
    public async Task One_connection_carrying_several_workloads_tokens_in_turn_judges_each_request_by_its_own_token()
    {
        // As an ingress's pooled connection does: one workload's request, then another's, then a forged one.
        using var client = new OneConnectionClient(Gateway.ProxyAddress);
        var billing = Mint();
        var reporting = Mint(OtherSubject);
        var tampered = Tamper(billing, Claims(DateTimeOffset.UtcNow, OtherSubject));
        (string Token, HttpStatusCode Status, string? Caller)[] turns =
        [
            (billing, HttpStatusCode.OK, GatewayHost.CallerName),
            (billing, HttpStatusCode.OK, GatewayHost.CallerName),
            (reporting, HttpStatusCode.OK, GatewayHost.OtherCallerName),
            (tampered, HttpStatusCode.Unauthorized, null),
            (billing, HttpStatusCode.OK, GatewayHost.CallerName),
            (tampered, HttpStatusCode.Unauthorized, null),
        ];

        foreach (var (token, status, _) in turns)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/external/sources?projectId=1");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            using var response = await client.Client.SendAsync(request);
            Assert.Equal(status, response.StatusCode);
        }

        Assert.Equal(1, client.Connections);
        await Eventually.HoldsAsync(() => Gateway.Logs.AuditRecords.Count == turns.Length, "an audit record for each request");
        var callers = Gateway.Logs.AuditRecords
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(record => record.TryGetProperty("caller", out var caller) ? caller.GetString() : null);
        Assert.Equal(turns.Select(turn => turn.Caller), callers);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "expired", "workload-token-expired" },
        { "not-yet-valid", "workload-token-not-yet-valid" },
        { "wrong-audience", "workload-token-wrong-audience" },
        { "unknown-issuer", "workload-token-unknown-issuer" },
        { "foreign-key-same-kid", "workload-token-bad-signature" },
        { "foreign-key-unknown-kid", "workload-token-bad-signature" },
        { "alg-none", "workload-token-bad-signature" },
        { "hmac-with-the-public-key", "workload-token-bad-signature" },
        { "tampered-subject", "workload-token-bad-signature" },
        { "unmapped-subject", "workload-subject-unmapped" },
        { "not-a-jwt", "workload-token-invalid" },
        { "no-expiry", "workload-token-invalid" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_token_that_fails_a_check_is_401_with_its_reason_and_reaches_nothing(string kind, string slug)
    {
        var token = Forge(kind);
        using var caller = CreateWorkload(token);

        using var response = await caller.PostAsync("/external/source-pull/19643", null);

        var problem = await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, slug);
        Assert.DoesNotContain(token, problem.GetRawText(), StringComparison.Ordinal);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Equal(0, Sandbox.Recorder.Arrivals);
        await Eventually.HoldsAsync(() => Gateway.Logs.AuditRecords.Count == 1, "one audit record");
        Assert.DoesNotContain(token, Gateway.Logs.AuditRecords[0], StringComparison.Ordinal);
        Assert.Equal("denied", JsonDocument.Parse(Gateway.Logs.AuditRecords[0]).RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_key_decides_when_both_a_key_and_a_bearer_token_are_sent()
    {
        // A service moving from its own Auth0 tokens to the gateway may still send its old Authorization header.
        using var caller = Gateway.CreateCaller();
        caller.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + Forge("foreign-key-same-kid"));

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(Sandbox.Issuer.IsValid(Assert.Single(Sandbox.Recorder.Requests).Authorization!["Bearer ".Length..]));
    }

    [Fact]
    public async Task Without_credentials_the_challenge_offers_a_key_or_a_workload_token()
    {
        using var caller = Gateway.CreateCaller(apiKey: null);

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "api-key-missing");
        Assert.Equal(["ApiKey", "Bearer"], response.Headers.WwwAuthenticate.Select(c => c.Scheme).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Another_authorization_scheme_is_no_credential()
    {
        using var caller = Gateway.CreateCaller(apiKey: null);
        caller.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String("a:b"u8));

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "api-key-missing");
    }

    /// <summary>A token that fails exactly the check <paramref name="kind"/> names.</summary>
    private string Forge(string kind)
    {
        var now = DateTimeOffset.UtcNow;
        using var foreign = RSA.Create(2048);
        var issuerKey = Sandbox.Workloads.SigningKey;
        return kind switch
        {
            "expired" => Mint(lifetime: TimeSpan.FromMinutes(-10), notBefore: now.AddHours(-1)),
            "not-yet-valid" => Mint(notBefore: now.AddMinutes(10), lifetime: TimeSpan.FromHours(1)),
            "wrong-audience" => Mint(audience: "another-service"),
            "unknown-issuer" => Sandbox.Workloads.Mint("https://issuer.elsewhere.example", Subject, Audience),
            "foreign-key-same-kid" => Sandbox.Workloads.Mint(IssuerUrl, Subject, Audience, signedWith: new SigningCredentials(new RsaSecurityKey(foreign) { KeyId = issuerKey.KeyId }, SecurityAlgorithms.RsaSha256)),
            "foreign-key-unknown-kid" => Sandbox.Workloads.Mint(IssuerUrl, Subject, Audience, signedWith: new SigningCredentials(new RsaSecurityKey(foreign) { KeyId = "not-a-key-of-the-issuer" }, SecurityAlgorithms.RsaSha256)),
            "alg-none" => Unsigned(new { alg = "none", typ = "JWT" }, Claims(now)),
            "hmac-with-the-public-key" => HmacWithPublicKey(issuerKey, Claims(now)),
            "tampered-subject" => Tamper(Mint(), Claims(now, OtherSubject)),
            "unmapped-subject" => Mint("system:serviceaccount:elsewhere:intruder"),
            "not-a-jwt" => "this.is-not.a-token",
            "no-expiry" => Resign(issuerKey, ClaimsWithoutExpiry(now)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private Dictionary<string, object> Claims(DateTimeOffset now, string subject = Subject) => new()
    {
        ["iss"] = IssuerUrl,
        ["sub"] = subject,
        ["aud"] = Audience,
        ["iat"] = now.ToUnixTimeSeconds(),
        ["nbf"] = now.ToUnixTimeSeconds(),
        ["exp"] = now.AddHours(1).ToUnixTimeSeconds(),
    };

    private Dictionary<string, object> ClaimsWithoutExpiry(DateTimeOffset now)
    {
        var claims = Claims(now);
        claims.Remove("exp");
        return claims;
    }

    private static string Segment(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));

    private static string Unsigned(object header, object claims) => $"{Segment(header)}.{Segment(claims)}.";

    /// <summary>The classic confusion attack: HS256 keyed with the issuer's public key, which anyone can fetch.</summary>
    private static string HmacWithPublicKey(RsaSecurityKey key, object claims)
    {
        var input = $"{Segment(new { alg = "HS256", typ = "JWT", kid = key.KeyId })}.{Segment(claims)}";
        var publicKey = Encoding.ASCII.GetBytes(key.Rsa.ExportSubjectPublicKeyInfoPem());
        return $"{input}.{Base64UrlEncoder.Encode(HMACSHA256.HashData(publicKey, Encoding.ASCII.GetBytes(input)))}";
    }

    /// <summary>A valid token's header and signature around other claims.</summary>
    private static string Tamper(string token, object claims)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{Segment(claims)}.{parts[2]}";
    }

    /// <summary>Claims signed properly by the issuer's own key (what only a broken issuer would mint).</summary>
    private static string Resign(RsaSecurityKey key, Dictionary<string, object> claims) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
            JsonSerializer.Serialize(claims), new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
}

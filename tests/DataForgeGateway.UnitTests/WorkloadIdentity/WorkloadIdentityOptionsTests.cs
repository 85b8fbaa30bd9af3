using DataForgeGateway.WorkloadIdentity;

namespace DataForgeGateway.UnitTests.WorkloadIdentity;

/// <summary>The rules for the issuers' settings, one line per wrong key.</summary>
public sealed class WorkloadIdentityOptionsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dfgw-issuer-options-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void An_issuer_with_its_url_and_audience_is_enough()
    {
        Assert.Empty(Failures(new WorkloadIssuerOptions { Issuer = "https://kubernetes.default.svc", Audience = "dataforge-gateway" }));
    }

    public static TheoryData<string, string> Wrong => new()
    {
        { "http-issuer", "Issuers:cluster:Issuer must be the issuer's absolute https URL" },
        { "no-audience", "Issuers:cluster:Audience is required" },
        { "both-sources", "Issuers:cluster:JwksUri and Gateway:WorkloadIdentity:Issuers:cluster:JwksFile are both set" },
        { "http-jwks", "Issuers:cluster:JwksUri must be an absolute https URL." },
        { "missing-file", "Issuers:cluster:JwksFile names a file that does not exist." },
        { "not-a-jwks", "Issuers:cluster:JwksFile holds no JWKS with an asymmetric signing key." },
        { "symmetric-only", "Issuers:cluster:JwksFile holds no JWKS with an asymmetric signing key." },
        { "hmac-algorithm", "Issuers:cluster:Algorithms:0 is not an asymmetric JWS algorithm" },
    };

    [Theory]
    [MemberData(nameof(Wrong))]
    public void A_wrong_issuer_setting_is_named(string kind, string expected)
    {
        var issuer = new WorkloadIssuerOptions { Issuer = "https://kubernetes.default.svc", Audience = "dataforge-gateway" };
        switch (kind)
        {
            case "http-issuer": issuer.Issuer = "http://kubernetes.default.svc"; break;
            case "no-audience": issuer.Audience = ""; break;
            case "both-sources": issuer.JwksUri = "https://x/jwks"; issuer.JwksFile = "/x"; break;
            case "http-jwks": issuer.JwksUri = "http://x/jwks"; break;
            case "missing-file": issuer.JwksFile = Path.Combine(_folder, "none.json"); break;
            case "not-a-jwks": issuer.JwksFile = Write("not json"); break;
            case "symmetric-only": issuer.JwksFile = Write("""{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"""); break;
            case "hmac-algorithm": issuer.Algorithms.Add("HS256"); break;
        }

        var failure = Assert.Single(Failures(issuer));
        Assert.StartsWith("Gateway:WorkloadIdentity:" + expected, failure);
    }

    [Fact]
    public void A_local_issuer_may_use_http_when_it_says_so()
    {
        Assert.Empty(Failures(new WorkloadIssuerOptions { Issuer = "http://127.0.0.1:5181", Audience = "dataforge-gateway", RequireHttps = false }));
    }

    [Fact]
    public void Two_names_for_one_issuer_are_refused()
    {
        var options = new WorkloadIdentityOptions();
        options.Issuers["a"] = new WorkloadIssuerOptions { Issuer = "https://issuer.test", Audience = "x" };
        options.Issuers["b"] = new WorkloadIssuerOptions { Issuer = "https://issuer.test", Audience = "y" };

        var failure = Assert.Single(new WorkloadIdentityOptions.Validator().Validate(null, options).Failures!);
        Assert.Contains("is also the issuer of 'a'", failure);
    }

    [Fact]
    public void A_refresh_interval_over_a_minute_between_unknown_keys_is_refused()
    {
        var options = new WorkloadIdentityOptions { MinRefreshInterval = TimeSpan.FromMinutes(2) };

        Assert.Contains(new WorkloadIdentityOptions.Validator().Validate(null, options).Failures!, f => f.StartsWith("Gateway:WorkloadIdentity:MinRefreshInterval", StringComparison.Ordinal));
    }

    private static List<string> Failures(WorkloadIssuerOptions issuer)
    {
        var options = new WorkloadIdentityOptions();
        options.Issuers["cluster"] = issuer;
        return [.. new WorkloadIdentityOptions.Validator().Validate(null, options).Failures ?? []];
    }

    private string Write(string text)
    {
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, text);
        return path;
    }
}

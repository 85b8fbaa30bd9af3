using Microsoft.Extensions.Options;

namespace DataForgeGateway.WorkloadIdentity;

/// <summary>
/// The issuers whose JWTs prove a workload's identity (a Kubernetes cluster's service-account issuer, a SPIFFE trust
/// domain): a caller may send <c>Authorization: Bearer &lt;JWT&gt;</c> from one of them instead of an API key.
/// </summary>
public sealed class WorkloadIdentityOptions
{
    public const string SectionName = "Gateway:WorkloadIdentity";

    /// <summary>The issuers, by a name of the operator's that callers' <c>Workloads</c> entries refer to. Empty: only API keys.</summary>
    public Dictionary<string, WorkloadIssuerOptions> Issuers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How far a token's <c>exp</c> and <c>nbf</c> may be off the gateway's clock. Default 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often each issuer's keys are fetched again in the background (a key file is looked at every few seconds). Default 5 min.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The shortest time between two fetches of one issuer's keys that a token signed by an unknown key can cause: a
    /// flood of forged tokens costs the issuer one fetch per interval. Default 5 s.
    /// </summary>
    public TimeSpan MinRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many validated tokens are remembered (by their hash, until they expire), so a token is checked once, not once a request. Default 100,000.</summary>
    public int ValidatedTokenCacheSize { get; set; } = 100_000;

    internal sealed class Validator : IValidateOptions<WorkloadIdentityOptions>
    {
        public ValidateOptionsResult Validate(string? name, WorkloadIdentityOptions options)
        {
            var failures = new List<string>();
            var issuerUrls = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (issuerName, issuer) in options.Issuers)
            {
                var key = $"{SectionName}:Issuers:{issuerName}";
                issuer.Validate(key, failures);
                if (issuer.Issuer.Length > 0 && !issuerUrls.TryAdd(issuer.Issuer, issuerName))
                {
                    failures.Add($"{key}:Issuer is also the issuer of '{issuerUrls[issuer.Issuer]}': each issuer is configured once.");
                }
            }

            if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
            {
                failures.Add($"{SectionName}:ClockSkew must be between 0 and 5 minutes.");
            }

            if (options.MinRefreshInterval < TimeSpan.FromSeconds(1) || options.MinRefreshInterval > TimeSpan.FromMinutes(1))
            {
                failures.Add($"{SectionName}:MinRefreshInterval must be between 1 second and 1 minute: a new signing key must be accepted within a minute.");
            }

            if (options.RefreshInterval < options.MinRefreshInterval || options.RefreshInterval > TimeSpan.FromDays(1))
            {
                failures.Add($"{SectionName}:RefreshInterval must be at least MinRefreshInterval and at most a day.");
            }

            if (options.ValidatedTokenCacheSize is < 0 or > 10_000_000)
            {
                failures.Add($"{SectionName}:ValidatedTokenCacheSize must be between 0 (no cache) and 10,000,000.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}

/// <summary>One issuer of workload tokens and where its signing keys are found.</summary>
public sealed class WorkloadIssuerOptions
{
    /// <summary>The issuer exactly as tokens carry it in <c>iss</c>, for example <c>https://oidc.eks.eu-west-1.amazonaws.com/id/ABC</c> or <c>https://kubernetes.default.svc</c>.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The audience a token must name in <c>aud</c> to be accepted here, for example <c>dataforge-gateway</c>: a token minted for another service is refused.</summary>
    public string Audience { get; set; } = "";

    /// <summary>Where the issuer's keys (a JWKS) are, when not at the <c>jwks_uri</c> of <c>{Issuer}/.well-known/openid-configuration</c>.</summary>
    public string JwksUri { get; set; } = "";

    /// <summary>A file holding the issuer's JWKS (from a ConfigMap, for a cluster whose issuer the gateway cannot reach), read again when it changes.</summary>
    public string JwksFile { get; set; } = "";

    /// <summary>The issuer and its keys must be fetched over https. Only a local issuer (a laptop, a test) should set false.</summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>The signature algorithms accepted: asymmetric ones only. Default RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512.</summary>
    public List<string> Algorithms { get; set; } = [];

    /// <summary>Every asymmetric JWS algorithm; never <c>none</c>, never an HMAC (which a public key could be abused to forge).</summary>
    internal static readonly string[] AsymmetricAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    /// <summary>The algorithms in force: those configured, or all asymmetric ones.</summary>
    internal IReadOnlyList<string> AcceptedAlgorithms => Algorithms.Count > 0 ? Algorithms : AsymmetricAlgorithms;

    /// <summary>Whether two settings fetch the same keys from the same place (a reload that keeps them keeps the keys already fetched).</summary>
    internal static bool SameKeySource(WorkloadIssuerOptions a, WorkloadIssuerOptions b) =>
        a.Issuer == b.Issuer && a.JwksUri == b.JwksUri && a.JwksFile == b.JwksFile && a.RequireHttps == b.RequireHttps;

    internal void Validate(string key, List<string> failures)
    {
        if (!IsUrl(Issuer, RequireHttps))
        {
            failures.Add($"{key}:Issuer must be the issuer's absolute {(RequireHttps ? "https" : "http or https")} URL, as tokens carry it in 'iss'.");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            failures.Add($"{key}:Audience is required: the audience workloads request their tokens for (for example dataforge-gateway).");
        }

        if (JwksUri.Length > 0 && JwksFile.Length > 0)
        {
            failures.Add($"{key}:JwksUri and {key}:JwksFile are both set: give one place for the issuer's keys.");
        }
        else if (JwksUri.Length > 0 && !IsUrl(JwksUri, RequireHttps))
        {
            failures.Add($"{key}:JwksUri must be an absolute {(RequireHttps ? "https" : "http or https")} URL.");
        }
        else if (JwksFile.Length > 0 && KeySetSource.ReadFile(JwksFile) is { Failure: { } failure })
        {
            failures.Add($"{key}:JwksFile {failure}.");
        }

        for (var i = 0; i < Algorithms.Count; i++)
        {
            if (!AsymmetricAlgorithms.Contains(Algorithms[i], StringComparer.Ordinal))
            {
                failures.Add($"{key}:Algorithms:{i} is not an asymmetric JWS algorithm ({string.Join(", ", AsymmetricAlgorithms)}).");
            }
        }
    }

    private static bool IsUrl(string value, bool requireHttps) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (!requireHttps && uri.Scheme == Uri.UriSchemeHttp))
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);
}

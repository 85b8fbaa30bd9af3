using System.Text.RegularExpressions;
using DataForgeGateway.Api;
using DataForgeGateway.Settings;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Callers;

/// <summary>The internal services allowed to call the gateway, by name.</summary>
public sealed partial class CallersOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// Callers by name (for example <c>billing-svc</c>); the name is what audit and metrics show, unless the caller's
    /// <see cref="CallerOptions.Name"/> gives another (so that <c>billing_svc</c> can stand for <c>billing-svc</c> in
    /// an environment variable name).
    /// </summary>
    public Dictionary<string, CallerOptions> Callers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The callers that come from <c>Gateway:CallersFile</c> (<see cref="CallersFile"/>), not from configuration.</summary>
    internal HashSet<string> FromFile { get; } = new(StringComparer.OrdinalIgnoreCase);

    private Dictionary<string, CallerOptions>? _byDisplayName;

    /// <summary>The settings of the caller audit and metrics call <paramref name="name"/>.</summary>
    public CallerOptions? Find(string name)
    {
        if (Callers.TryGetValue(name, out var byKey) && byKey.Name is null)
        {
            return byKey;
        }

        // Callers with a Name of their own, indexed on the first look (once per set of options, not per caller found).
        var named = LazyInitializer.EnsureInitialized(ref _byDisplayName, () => Callers.Values.Where(c => c.Name is not null).DistinctBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(c => c.Name!, StringComparer.OrdinalIgnoreCase));
        return named.GetValueOrDefault(name);
    }

    /// <summary>Where a caller's settings are, as its failures name them.</summary>
    internal string KeyOf(string caller) => FromFile.Contains(caller) ? $"{CallersFile.PathKey}: {caller}" : $"{SectionName}:Callers:{caller}";

    /// <summary>Every key must be a well-formed hash with a well-formed id, and no hash or id may be used twice.</summary>
    internal sealed partial class Validator(IConfiguration configuration) : IValidateOptions<CallersOptions>
    {
        public ValidateOptionsResult Validate(string? name, CallersOptions options)
        {
            var environments = configuration.GetSection($"{SectionName}:Environments").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var issuers = configuration.GetSection($"{SectionName}:WorkloadIdentity:Issuers").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var workloadOwners = new Dictionary<(string, string), string>();
            var operations = DataForgeOperation.Names.ToHashSet(StringComparer.Ordinal);
            var failures = new List<string>();
            if (options.Callers.Count == 0)
            {
                failures.Add($"{SectionName}:Callers must define at least one caller with at least one key or workload.");
            }

            // Each name audit and metrics show, with the callers showing it: a Name must be no other caller's.
            var shown = options.Callers.GroupBy(pair => pair.Value.Name ?? pair.Key, StringComparer.OrdinalIgnoreCase).Where(g => g.Skip(1).Any()).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
            var hashOwners = new Dictionary<string, string>(StringComparer.Ordinal);
            var idOwners = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (caller, settings) in options.Callers)
            {
                var key = options.KeyOf(caller);
                if (!CallerName().IsMatch(caller))
                {
                    failures.Add($"{key} is not a valid caller name: use letters, digits, '.', '_' and '-'.");
                }

                if (settings.Name is { } display && (!CallerName().IsMatch(display) || shown.ContainsKey(display)))
                {
                    failures.Add($"{key}:Name must be a caller name (letters, digits, '.', '_', '-') that no other caller has.");
                }

                if (settings.Keys.Count == 0 && settings.Workloads.Count == 0)
                {
                    failures.Add($"{key}:Keys must hold at least one key (or {key}:Workloads one workload).");
                }

                for (var i = 0; i < settings.Workloads.Count; i++)
                {
                    var workload = settings.Workloads[i];
                    var workloadKey = new KeyName(key, "Workloads", i);
                    if (!issuers.Contains(workload.Issuer))
                    {
                        failures.Add($"{workloadKey}:Issuer must name an issuer under {SectionName}:WorkloadIdentity:Issuers.");
                    }

                    if (string.IsNullOrWhiteSpace(workload.Subject) || workload.Subject.Length > 512)
                    {
                        failures.Add($"{workloadKey}:Subject is required: the exact 'sub' of the workload's tokens (for example system:serviceaccount:billing:billing-svc).");
                    }
                    else if (!workloadOwners.TryAdd((workload.Issuer.ToUpperInvariant(), workload.Subject), caller))
                    {
                        failures.Add($"{workloadKey}:Subject of this issuer is also a workload of caller '{workloadOwners[(workload.Issuer.ToUpperInvariant(), workload.Subject)]}': every workload belongs to one caller.");
                    }
                }

                CheckList(settings.Environments, key, "Environments", e => e == "*" || environments.Contains(e), "names an environment that is not under Gateway:Environments.", failures);
                CheckList(settings.Operations, key, "Operations", operations.Contains, "names no DataForge operation (source-pull, inputs-filtered, sources, sources-filtered-by-name).", failures);
                CheckList(settings.ProjectIds, key, "ProjectIds", IsNumericId, "must be a project id (digits).", failures);
                CheckList(settings.SourceIds, key, "SourceIds", IsNumericId, "must be a source id (digits).", failures);
                if (settings.ProjectIds.Count > 0 && settings.SourceIds.Count == 0 && !settings.UnrestrictedSources)
                {
                    failures.Add($"{key}:SourceIds is required with ProjectIds: source-pull and inputs-filtered name only a source, which the gateway cannot tie to a project. List the caller's sources, or set {key}:UnrestrictedSources to true.");
                }

                settings.RateLimit?.Validate($"{key}:RateLimit", failures);
                foreach (var (operation, policy) in settings.OperationRateLimits)
                {
                    if (!operations.Contains(operation))
                    {
                        failures.Add($"{key}:OperationRateLimits:{operation} names no DataForge operation.");
                    }

                    policy.Validate($"{key}:OperationRateLimits:{operation}", failures);
                }

                for (var i = 0; i < settings.Keys.Count; i++)
                {
                    var entry = settings.Keys[i];
                    var entryKey = new KeyName(key, "Keys", i);
                    if (!KeyDigest.TryParse(entry.Sha256, out _))
                    {
                        failures.Add($"{entryKey}:Sha256 must be the lower-case hex SHA-256 of the key (64 characters).");
                    }
                    else if (!hashOwners.TryAdd(entry.Sha256, caller))
                    {
                        failures.Add($"{entryKey}:Sha256 is also a key of caller '{hashOwners[entry.Sha256]}': every key belongs to one caller.");
                    }

                    if (entry.Id is { Length: > 0 } id)
                    {
                        if (!ApiKeyFormat.IsKeyId(id))
                        {
                            failures.Add($"{entryKey}:Id must be 4 to 32 lower-case letters and digits, as 'keys new' prints it.");
                        }
                        else if (!idOwners.TryAdd(id, caller))
                        {
                            failures.Add($"{entryKey}:Id is used twice (also by caller '{idOwners[id]}'): key ids are unique.");
                        }
                    }

                    if (entry.NotBefore is { } notBefore && entry.Expires is { } expires && expires <= notBefore)
                    {
                        failures.Add($"{entryKey}:Expires must be later than {entryKey}:NotBefore.");
                    }
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        /// <remarks>The key is spelled only for a failure: 100,000 callers' lists are checked at every start-up and reload.</remarks>
        private static void CheckList(List<string> values, string caller, string list, Func<string, bool> valid, string problem, List<string> failures)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (!valid(values[i]))
                {
                    failures.Add($"{caller}:{list}:{i} {problem}");
                }
            }
        }

        /// <summary>An element's key (<c>...:Keys:0</c>), spelled only when a failure names it.</summary>
        private readonly record struct KeyName(string Caller, string List, int Index)
        {
            public override string ToString() => $"{Caller}:{List}:{Index}";
        }

        private static bool IsNumericId(string value) => value.Length is > 0 and <= 18 && !value.AsSpan().ContainsAnyExceptInRange('0', '9');

        [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
        private static partial Regex CallerName();
    }
}

/// <summary>One internal service that calls the gateway, and what it may do.</summary>
public sealed class CallerOptions
{
    /// <summary>The caller's API keys, stored only as hashes. Several keys let a caller rotate without downtime.</summary>
    public List<ApiKeyOptions> Keys { get; set; } = [];

    /// <summary>
    /// The workloads that are this caller, by the identity their platform gives them (a Kubernetes service account's
    /// projected token): a JWT of one of them in <c>Authorization: Bearer</c> stands for a key.
    /// </summary>
    public List<WorkloadOptions> Workloads { get; set; } = [];

    /// <summary>
    /// The environments the caller may use, by name; <c>*</c> for all. Empty: only the default environment
    /// (<c>/external/...</c> and its named form).
    /// </summary>
    public List<string> Environments { get; set; } = [];

    /// <summary>The operations the caller may call (source-pull, inputs-filtered, sources, sources-filtered-by-name). Empty: all four.</summary>
    public List<string> Operations { get; set; } = [];

    /// <summary>The projects the caller may list sources of (<c>projectId</c>). Empty: any.</summary>
    public List<string> ProjectIds { get; set; } = [];

    /// <summary>
    /// The caller's name in audit records and metrics, when it is not the key it is configured under: lets a name
    /// with a dash be configured from environment variables (<c>Gateway__Callers__billing_svc__Name=billing-svc</c>).
    /// </summary>
    public string? Name { get; set; }

    /// <summary>The sources the caller may pull or read inputs of (<c>sourceId</c>, <c>source_id</c>). Empty: any.</summary>
    public List<string> SourceIds { get; set; } = [];

    /// <summary>
    /// With <see cref="ProjectIds"/> but no <see cref="SourceIds"/>: the caller may pull and read inputs of any source.
    /// Must be said explicitly, since source operations name only a source, which the gateway cannot tie to a project.
    /// </summary>
    public bool UnrestrictedSources { get; set; }

    /// <summary>The caller's limit over all operations. Empty: <c>Gateway:RateLimits:Default</c>.</summary>
    public RateLimitPolicyOptions? RateLimit { get; set; }

    /// <summary>The caller's limits per operation, on top of <see cref="RateLimit"/>. Missing: <c>Gateway:RateLimits:Operations</c>.</summary>
    public Dictionary<string, RateLimitPolicyOptions> OperationRateLimits { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One API key, as its hash, with the window in which it is accepted.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The key's public id (the part after <c>dfgw_</c>), as <c>keys new</c> prints it. Empty for a key configured by hash alone.</summary>
    public string Id { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the whole key's UTF-8 bytes (<c>printf %s "$KEY" | sha256sum</c>).</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>The key is refused before this moment (for a rotation planned ahead). Empty: at once.</summary>
    public DateTimeOffset? NotBefore { get; set; }

    /// <summary>The key is refused from this moment on. Empty: until it is removed.</summary>
    public DateTimeOffset? Expires { get; set; }
}

/// <summary>One workload identity of a caller: the issuer its tokens come from and their exact subject.</summary>
public sealed class WorkloadOptions
{
    /// <summary>The issuer's name under <c>Gateway:WorkloadIdentity:Issuers</c>.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The tokens' exact <c>sub</c>, for example <c>system:serviceaccount:billing:billing-svc</c> or <c>spiffe://corp/ns/billing/sa/billing-svc</c>.</summary>
    public string Subject { get; set; } = "";
}

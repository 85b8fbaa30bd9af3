using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using DataForgeGateway.Callers;
using DataForgeGateway.Health;
using DataForgeGateway.Redis;
using DataForgeGateway.Routing;
using DataForgeGateway.Settings;
using DataForgeGateway.Tokens;

namespace DataForgeGateway.Hosting;

/// <summary>
/// Every configuration key the gateway reads, derived from its options types: a key under <c>Gateway</c> that is
/// not one of them (a typo such as <c>ProjectId</c> for <c>ProjectIds</c>, which would silently leave a caller
/// unrestricted) stops start-up, naming the key and the closest one the gateway knows. The tests check the example
/// configuration and the chart's values against the same list.
/// </summary>
public static class ConfigurationSurface
{
    /// <summary>Every options type the gateway binds, with its section: checked whole at start-up and on every reload.</summary>
    internal static readonly (string Section, Type Options)[] Bound =
    [
        (GatewayOptions.SectionName, typeof(GatewayOptions)),
        (CallersOptions.SectionName, typeof(CallersOptions)),
        (DataForgeGateway.WorkloadIdentity.WorkloadIdentityOptions.SectionName, typeof(DataForgeGateway.WorkloadIdentity.WorkloadIdentityOptions)),
        (TokenOptions.SectionName, typeof(TokenOptions)),
        (EncryptionOptions.SectionName, typeof(EncryptionOptions)),
        (RedisOptions.SectionName, typeof(RedisOptions)),
        (ManagementOptions.SectionName, typeof(ManagementOptions)),
        (RequestOptions.SectionName, typeof(RequestOptions)),
        (IngressOptions.SectionName, typeof(IngressOptions)),
        (RateLimitOptions.SectionName, typeof(RateLimitOptions)),
        (DataForgeGateway.Audit.AuditOptions.SectionName, typeof(DataForgeGateway.Audit.AuditOptions)),
        (DataForgeGateway.Idempotency.IdempotencyOptions.SectionName, typeof(DataForgeGateway.Idempotency.IdempotencyOptions)),
        (DataForgeGateway.SharedReads.SharedReadOptions.SectionName, typeof(DataForgeGateway.SharedReads.SharedReadOptions)),
        (DataForgeGateway.Telemetry.MetricsOptions.SectionName, typeof(DataForgeGateway.Telemetry.MetricsOptions)),
        ("HostOptions", typeof(HostOptions)),
        ("Kestrel:Limits", typeof(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits)),
    ];

    /// <summary>The sections whose every key is checked: the gateway's own, and the framework's that it documents.</summary>
    private static readonly string[] StrictSections = ["Gateway", "HostOptions", "Kestrel"];

    /// <summary>Keys ASP.NET Core itself reads, and the gateway's own keys read outside an options type.</summary>
    private static readonly string[] HostKeys =
    [
        "Urls", "AllowedHosts", "Logging:**", "OTEL_**", ConfigurationExtensions.SecretsDirectoryKey, ConfigurationExtensions.SettingsFileKey, CallersFile.PathKey, ConfigurationReloader.PollIntervalKey,

        // Kestrel's own: its endpoints and certificates as its configuration loader reads them, and its options' switches.
        "Kestrel:Endpoints:**", "Kestrel:EndpointDefaults:**", "Kestrel:Certificates:**", "Kestrel:AddServerHeader",
        "Kestrel:AllowResponseHeaderCompression", "Kestrel:AllowSynchronousIO", "Kestrel:AllowAlternateSchemes",
        "Kestrel:AllowHostHeaderOverride", "Kestrel:DisableStringReuse",
    ];

    private static readonly string[] LeafPatterns = [.. Bound.SelectMany(b => Leaves(b.Options, b.Section)).Concat(HostKeys)];

    /// <summary>Every key under <c>Gateway</c> the gateway reads, as patterns: <c>*</c> a name of the operator's, <c>#</c> an index.</summary>
    public static IReadOnlyList<string> GatewayKeys { get; } =
        [.. LeafPatterns.Where(p => p.StartsWith("Gateway:", StringComparison.Ordinal) && !LeafPatterns.Any(other => other.StartsWith(p + ":", StringComparison.Ordinal))).Distinct()];

    public static IReadOnlyList<Regex> Patterns { get; } = [.. LeafPatterns.Select(ToRegex)];

    /// <summary>The patterns made of whole segments, as a tree: a key is matched in one walk of its segments.</summary>
    private static readonly PatternTree Tree = PatternTree.Of(LeafPatterns.Where(PatternTree.Fits));

    /// <summary>The few others (<c>OTEL_**</c>: a wildcard inside a segment), matched as regular expressions.</summary>
    private static readonly Regex[] Irregular = [.. LeafPatterns.Where(p => !PatternTree.Fits(p)).Select(ToRegex)];

    /// <summary>
    /// Whether the gateway reads this key (compared as configuration does: ignoring case). Every key of every start-up
    /// and reload is asked, 500,000 of them with 100,000 callers: one walk of the tree, not one regex per pattern.
    /// </summary>
    public static bool IsKnown(string key) => Tree.Matches(key, 0) || Irregular.Any(p => p.IsMatch(key));

    /// <summary>
    /// One line per key under <c>Gateway</c>, <c>HostOptions</c> or <c>Kestrel</c> that nothing reads, with the closest
    /// key that is read; and one per top-level section one edit away from one of those (<c>Gatway</c>).
    /// </summary>
    public static IEnumerable<string> UnknownKeys(IConfiguration configuration)
    {
        var flat = configuration is IConfigurationRoot root ? AcceptedConfiguration.Flatten(root) : null;
        foreach (var section in configuration.GetChildren())
        {
            if (StrictSections.FirstOrDefault(known => !known.Equals(section.Key, StringComparison.OrdinalIgnoreCase) && Distance(known.ToLowerInvariant(), section.Key.ToLowerInvariant()) <= 1) is { } meant)
            {
                foreach (var key in ConfigurationLeaves.Of(section).DefaultIfEmpty(section.Path))
                {
                    yield return $"{key} is not a setting the gateway knows: did you mean {meant}{key[section.Key.Length..]}?";
                }
            }
        }

        // Read from the flat values when there are: walking 500,000 keys section by section costs seconds.
        var unknown = StrictSections.SelectMany(section => flat is null
            ? ConfigurationLeaves.Of(configuration.GetSection(section)).Where(key => !IsKnown(key))
            : ConfigurationLeaves.Of(flat, section).Where(key => !IsKnown(key)).Order(ConfigurationKeyComparer.Instance));
        foreach (var key in unknown)
        {
            yield return Suggest(key) is { } known
                ? $"{key} is not a setting the gateway knows: did you mean {known}?"
                : $"{key} is not a setting the gateway knows.";
        }
    }

    /// <summary>The key with its first unknown segment replaced by the closest name known at that place.</summary>
    internal static string? Suggest(string key)
    {
        var segments = key.Split(':');
        for (var i = 1; i < segments.Length; i++)
        {
            var prefix = segments[..i];
            var candidates = LeafPatterns
                .Select(pattern => pattern.Split(':'))
                .Where(pattern => pattern.Length > i && prefix.Select((segment, j) => SegmentMatches(pattern[j], segment)).All(match => match))
                .Select(pattern => pattern[i])
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToList();
            if (candidates.Any(candidate => SegmentMatches(candidate, segments[i])))
            {
                continue;
            }

            var closest = candidates.Where(c => c is not ("*" or "#" or "**"))
                .Select(candidate => (Name: candidate, Distance: Distance(candidate.ToLowerInvariant(), segments[i].ToLowerInvariant())))
                .OrderBy(c => c.Distance)
                .FirstOrDefault();
            return closest.Name is { } name && closest.Distance <= Math.Max(2, name.Length / 3)
                ? string.Join(':', segments[..i].Append(name).Concat(segments[(i + 1)..]))
                : null;
        }

        return null;
    }

    private static bool SegmentMatches(string pattern, string segment) => pattern switch
    {
        "*" or "**" => true,
        "#" => segment.All(char.IsAsciiDigit),
        _ => pattern.Equals(segment, StringComparison.OrdinalIgnoreCase),
    };

    /// <summary>Levenshtein distance: how many letters differ.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }

    private static IEnumerable<string> Leaves(Type type, string prefix)
    {
        // What the binder fills: settable properties, and the objects of read-only ones (Kestrel's Limits:Http2).
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite || (p.CanRead && !IsScalar(p.PropertyType) && p.PropertyType.IsClass && p.GetIndexParameters().Length == 0)))
        {
            var key = $"{prefix}:{property.Name}";
            var propertyType = property.PropertyType;
            if (IsScalar(propertyType))
            {
                yield return key;
            }
            else if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                yield return key; // an empty object or array in JSON is a key of its own

                foreach (var leaf in ElementLeaves(propertyType.GetGenericArguments()[1], $"{key}:*"))
                {
                    yield return leaf;
                }
            }
            else if (propertyType.IsGenericType && typeof(IList).IsAssignableFrom(propertyType))
            {
                yield return key;

                foreach (var leaf in ElementLeaves(propertyType.GetGenericArguments()[0], $"{key}:#"))
                {
                    yield return leaf;
                }
            }
            else
            {
                // A type the binder makes through its constructor (Kestrel's MinDataRate) has no settable leaves: anything below it goes.
                var leaves = Leaves(propertyType, key).ToList();
                foreach (var leaf in leaves.Count > 0 ? leaves : [$"{key}:**"])
                {
                    yield return leaf;
                }
            }
        }
    }

    private static IEnumerable<string> ElementLeaves(Type element, string key) => IsScalar(element) ? [key] : Leaves(element, key);

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal)
        || type == typeof(DateTimeOffset) || type == typeof(Uri) || (Nullable.GetUnderlyingType(type) is { } inner && IsScalar(inner));

    /// <summary>Patterns by segment: literal names (ignoring case), <c>*</c> any name, <c>#</c> an index, <c>**</c> anything below.</summary>
    private sealed class PatternTree
    {
        private readonly Dictionary<string, PatternTree> _literal = new(StringComparer.OrdinalIgnoreCase);
        private PatternTree? _name;
        private PatternTree? _index;
        private bool _rest;
        private bool _leaf;

        /// <summary>Whether every segment of <paramref name="pattern"/> is a name, <c>*</c>, <c>#</c> or <c>**</c>.</summary>
        public static bool Fits(string pattern) =>
            pattern.Split(':').All(segment => segment is "*" or "#" or "**" || !segment.Any(c => c is '*' or '#'));

        public static PatternTree Of(IEnumerable<string> patterns)
        {
            var root = new PatternTree();
            foreach (var pattern in patterns)
            {
                var node = root;
                foreach (var segment in pattern.Split(':'))
                {
                    if (segment == "**")
                    {
                        node._rest = true;
                        node = null;
                        break;
                    }

                    node = segment switch
                    {
                        "*" => node._name ??= new PatternTree(),
                        "#" => node._index ??= new PatternTree(),
                        _ => node._literal.TryGetValue(segment, out var next) ? next : node._literal[segment] = new PatternTree(),
                    };
                }

                if (node is not null)
                {
                    node._leaf = true;
                }
            }

            return root;
        }

        /// <summary>Whether <paramref name="key"/>, from <paramref name="start"/> on, matches a pattern below this node.</summary>
        public bool Matches(string key, int start)
        {
            if (_rest)
            {
                return true;
            }

            var colon = key.IndexOf(':', start);
            var end = colon < 0 ? key.Length : colon;
            var segment = key.AsSpan(start, end - start);
            return (_literal.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(segment, out var literal) && Next(literal))
                || (segment.Length > 0 && _index is not null && !segment.ContainsAnyExceptInRange('0', '9') && Next(_index))
                || (segment.Length > 0 && _name is not null && Next(_name));

            bool Next(PatternTree node) => colon < 0 ? node._leaf : node.Matches(key, colon + 1);
        }
    }

    private static Regex ToRegex(string pattern) => new(
        "^" + Regex.Escape(pattern).Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^:]+", StringComparison.Ordinal).Replace("\\#", "[0-9]+", StringComparison.Ordinal) + "$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}

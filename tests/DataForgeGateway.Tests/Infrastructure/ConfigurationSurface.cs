using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using DataForgeGateway.Callers;
using DataForgeGateway.Health;
using DataForgeGateway.Hosting;
using DataForgeGateway.Redis;
using DataForgeGateway.Routing;
using DataForgeGateway.Tokens;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// Every configuration key the gateway reads, derived from its options types, so that a file meant for the gateway
/// (the example, the chart's values) can be checked for keys it would silently ignore.
/// </summary>
public static class ConfigurationSurface
{
    private static readonly (string Section, Type Options)[] Bound =
    [
        (GatewayOptions.SectionName, typeof(GatewayOptions)),
        (CallersOptions.SectionName, typeof(CallersOptions)),
        (TokenOptions.SectionName, typeof(TokenOptions)),
        (RedisOptions.SectionName, typeof(RedisOptions)),
        (ManagementOptions.SectionName, typeof(ManagementOptions)),
        (RequestOptions.SectionName, typeof(RequestOptions)),
        (IngressOptions.SectionName, typeof(IngressOptions)),
        (DataForgeGateway.RateLimiting.RateLimitOptions.SectionName, typeof(DataForgeGateway.RateLimiting.RateLimitOptions)),
        (DataForgeGateway.Audit.AuditOptions.SectionName, typeof(DataForgeGateway.Audit.AuditOptions)),
    ];

    /// <summary>Keys ASP.NET Core itself reads, and the gateway's own keys read outside an options type.</summary>
    private static readonly string[] HostKeys =
    [
        "Urls", "AllowedHosts", "Logging:**", "Kestrel:**", "HostOptions:**", "OTEL_**", ConfigurationExtensions.SecretsDirectoryKey,
    ];

    public static IReadOnlyList<Regex> Patterns { get; } =
        [.. Bound.SelectMany(b => Leaves(b.Options, b.Section)).Concat(HostKeys).Select(ToRegex)];

    /// <summary>Whether the gateway reads this key (compared as configuration does: ignoring case).</summary>
    public static bool IsKnown(string key) => Patterns.Any(p => p.IsMatch(key));

    private static IEnumerable<string> Leaves(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
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
                foreach (var leaf in Leaves(propertyType, key))
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

    private static Regex ToRegex(string pattern) => new(
        "^" + Regex.Escape(pattern).Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^:]+", StringComparison.Ordinal).Replace("\\#", "[0-9]+", StringComparison.Ordinal) + "$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}

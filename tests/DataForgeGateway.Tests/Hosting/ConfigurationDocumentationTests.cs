using System.Text.RegularExpressions;
using DataForgeGateway.Hosting;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>docs/configuration.md documents every key the gateway binds, and nothing it does not.</summary>
public sealed partial class ConfigurationDocumentationTests
{
    [Fact]
    public void Every_key_the_gateway_binds_is_in_the_configuration_reference_and_every_documented_key_is_bound()
    {
        var text = File.ReadAllText(Path.Combine(ConfigurationExampleTests.RepositoryRoot(), "docs", "configuration.md"));
        var documented = DocumentedKeys(text).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var missing = ConfigurationSurface.GatewayKeys.Where(key => !documented.Contains(key)).ToList();
        Assert.True(missing.Count == 0, "Not in docs/configuration.md: " + string.Join(", ", missing));
        Assert.All(documented, key => Assert.True(ConfigurationSurface.IsKnown(key.Replace('*', 'x').Replace("#", "0", StringComparison.Ordinal)), $"docs/configuration.md documents {key}, which the gateway does not read"));
    }

    /// <summary>
    /// The first column of the reference's tables: <c>`Gateway:A:{name}:B`</c>, with siblings after it written
    /// short (<c>/ `C`</c>, <c>/ `D:{i}`</c>); <c>{i}</c> is an index, any other <c>{...}</c> a name.
    /// </summary>
    private static IEnumerable<string> DocumentedKeys(string text)
    {
        foreach (var row in text.Split('\n').Where(line => line.StartsWith("| `Gateway:", StringComparison.Ordinal)))
        {
            var cell = row.Split('|')[1];
            var keys = KeyInBackticks().Matches(cell).Select(m => m.Groups[1].Value).ToList();
            var first = Normalize(keys[0]);
            yield return first;
            var segments = first.Split(':');
            foreach (var sibling in keys.Skip(1).Select(Normalize))
            {
                // A sibling replaces as many named segments at the end of the first key as it has itself.
                var replaced = sibling.Split(':').Length - TrailingPlaceholders(sibling) + TrailingPlaceholders(first);
                yield return string.Join(':', segments[..^replaced].Append(sibling));
            }
        }
    }

    private static int TrailingPlaceholders(string key) => key.Split(':').Reverse().TakeWhile(segment => segment is "*" or "#").Count();

    private static string Normalize(string key) => Placeholder().Replace(key, m => m.Value == "{i}" ? "#" : "*");

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex KeyInBackticks();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Placeholder();
}

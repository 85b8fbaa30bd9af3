namespace DataForgeGateway.Hosting;

/// <summary>The keys of a configuration that hold values (leaves), as the unknown-key check reads them.</summary>
internal static class ConfigurationLeaves
{
    /// <summary>
    /// The leaves under <paramref name="section"/>, from flat values: a key with a value that is no other key's
    /// parent, as <see cref="Of(IConfigurationSection)"/> finds them (unordered: sort what is kept with
    /// <see cref="ConfigurationKeyComparer"/> for its order); one pass over the keys.
    /// </summary>
    public static List<string> Of(Dictionary<string, string?> values, string section)
    {
        var prefix = section + ":";
        var parents = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var seen = parents.GetAlternateLookup<ReadOnlySpan<char>>();
        var leaves = new List<string>();
        foreach (var key in values.Keys)
        {
            if (key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                for (var colon = key.LastIndexOf(':'); colon > section.Length && !seen.Contains(key.AsSpan(0, colon)); colon = key.LastIndexOf(':', colon - 1))
                {
                    parents.Add(key[..colon]);
                }
            }
        }

        foreach (var (key, value) in values)
        {
            if (value is not null && key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && !parents.Contains(key))
            {
                leaves.Add(key);
            }
        }

        return leaves;
    }

    /// <summary>The leaves under a section, walked section by section.</summary>
    public static IEnumerable<string> Of(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return section.Value is null ? [] : [section.Path];
        }

        return children.SelectMany(Of);
    }
}

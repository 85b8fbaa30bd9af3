namespace DataForgeGateway.Hosting;

/// <summary>
/// A configuration provider that finds a section's children in an index instead of scanning every key.
/// <see cref="ConfigurationProvider.GetChildKeys"/> scans them all on each call, and the binder calls it once per
/// section, so binding a section of N children (100,000 callers) costs N² key visits (dotnet/runtime#33954); here it
/// costs N. The index is built once per set of values (at load, at an accepted change) and dropped on a write.
/// Children come back distinct and sorted as <see cref="ConfigurationKeyComparer"/> sorts them, with the earlier
/// providers' keys, as the base class returns them.
/// </summary>
internal class IndexedConfigurationProvider : ConfigurationProvider
{
    private ChildIndex? _index;

    public IndexedConfigurationProvider()
    {
    }

    public IndexedConfigurationProvider(IDictionary<string, string?> values) =>
        Data = new Dictionary<string, string?>(values, StringComparer.OrdinalIgnoreCase);

    public override void Set(string key, string? value)
    {
        base.Set(key, value);
        _index = null;
    }

    public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
    {
        var index = _index;
        if (index is null || !ReferenceEquals(index.Data, Data))
        {
            index = _index = new ChildIndex(Data);
        }

        var children = new List<string>(index.ChildrenOf(parentPath));
        children.AddRange(earlierKeys);
        children.Sort(ConfigurationKeyComparer.Instance);
        return children;
    }

    /// <summary>Each path's child segments, once each (first spelling wins, as keys compare ignoring case).</summary>
    private sealed class ChildIndex
    {
        private readonly Dictionary<string, List<string>> _children = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _top = [];

        public ChildIndex(IDictionary<string, string?> data)
        {
            Data = data;
            var paths = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var seen = paths.GetAlternateLookup<ReadOnlySpan<char>>();
            var parents = _children.GetAlternateLookup<ReadOnlySpan<char>>();
            foreach (var key in data.Keys)
            {
                // "a:b:c" is the child "a" of the root, "b" of "a" and "c" of "a:b"; a path seen once is indexed once.
                // Paths are looked up as spans: only a path not seen before becomes a string (most prefixes of a key
                // were seen with its siblings: 100,000 callers are millions of prefixes, not millions of strings).
                for (var start = 0; ; )
                {
                    var colon = key.IndexOf(':', start);
                    var end = colon < 0 ? key.Length : colon;
                    if (!seen.Contains(key.AsSpan(0, end)))
                    {
                        paths.Add(end == key.Length ? key : key[..end]);
                        var child = key[start..end];
                        if (start == 0)
                        {
                            _top.Add(child);
                        }
                        else
                        {
                            var parent = key.AsSpan(0, start - 1);
                            if (!parents.TryGetValue(parent, out var siblings))
                            {
                                _children[parent.ToString()] = siblings = [];
                            }

                            siblings.Add(child);
                        }
                    }

                    if (colon < 0)
                    {
                        break;
                    }

                    start = colon + 1;
                }
            }
        }

        public IDictionary<string, string?> Data { get; }

        public List<string> ChildrenOf(string? parent) =>
            string.IsNullOrEmpty(parent) ? _top : _children.TryGetValue(parent, out var children) ? children : [];
    }
}

using DataForgeGateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace DataForgeGateway.UnitTests.Hosting;

/// <summary>The indexed provider reads exactly as the framework's own: children, their order, values, what binds.</summary>
public sealed class IndexedConfigurationProviderTests
{
    private static readonly Dictionary<string, string?> Values = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Gateway:Callers:b-svc:Keys:0:Sha256"] = "bb",
        ["Gateway:Callers:a-svc:Keys:10:Sha256"] = "a10",
        ["Gateway:Callers:a-svc:Keys:2:Sha256"] = "a2",
        ["Gateway:Callers:A-SVC:ProjectIds:0"] = "1",
        ["Gateway:Callers:a-svc"] = null,
        ["Gateway:DefaultEnvironment"] = "stage",
        ["Gateway"] = "a value on a section with children",
        ["urls"] = "http://127.0.0.1:0",
        ["Gateway:Empty:"] = "a key ending in a colon",
    };

    [Fact]
    public void Every_section_has_the_children_and_values_the_memory_provider_gives()
    {
        var indexed = new ConfigurationRoot([new IndexedConfigurationProvider(Values)]);
        var memory = new ConfigurationRoot([new MemoryConfigurationProvider(new MemoryConfigurationSource { InitialData = Values })]);

        Assert.Equal(Walk(memory), Walk(indexed));
        Assert.Equal(["2", "10"], indexed.GetSection("Gateway:Callers:a-svc:Keys").GetChildren().Select(c => c.Key));
    }

    [Fact]
    public void Behind_other_providers_the_children_of_both_are_merged_as_before()
    {
        var earlier = new Dictionary<string, string?> { ["Gateway:Callers:c-svc:Keys:0:Sha256"] = "cc", ["Other:Thing"] = "x" };
        var indexed = new ConfigurationRoot([new MemoryConfigurationProvider(new MemoryConfigurationSource { InitialData = earlier }), new IndexedConfigurationProvider(Values)]);
        var memory = new ConfigurationRoot([new MemoryConfigurationProvider(new MemoryConfigurationSource { InitialData = earlier }), new MemoryConfigurationProvider(new MemoryConfigurationSource { InitialData = Values })]);

        Assert.Equal(Walk(memory), Walk(indexed));
    }

    [Fact]
    public void A_value_set_after_the_index_was_built_is_a_child_too()
    {
        var provider = new IndexedConfigurationProvider(Values);
        var root = new ConfigurationRoot([provider]);
        Assert.Equal(["a-svc", "b-svc"], root.GetSection("Gateway:Callers").GetChildren().Select(c => c.Key));

        root["Gateway:Callers:new-svc:Keys:0:Sha256"] = "nn";

        Assert.Contains("new-svc", root.GetSection("Gateway:Callers").GetChildren().Select(c => c.Key));
    }

    /// <summary>Every section, depth first, as "path=value", in the order GetChildren gives them.</summary>
    private static List<string> Walk(ConfigurationRoot configuration)
    {
        var lines = new List<string>();
        void Visit(IConfigurationSection section)
        {
            lines.Add($"{section.Path}={section.Value}");
            foreach (var child in section.GetChildren())
            {
                Visit(child);
            }
        }

        foreach (var section in configuration.GetChildren())
        {
            Visit(section);
        }

        return lines;
    }
}

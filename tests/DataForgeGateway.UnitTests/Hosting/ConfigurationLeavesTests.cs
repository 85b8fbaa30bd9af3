using DataForgeGateway.Hosting;
using Microsoft.Extensions.Configuration;

namespace DataForgeGateway.UnitTests.Hosting;

public sealed class ConfigurationLeavesTests
{
    [Fact]
    public void Leaves_read_from_flat_values_are_those_a_walk_of_the_sections_finds_in_its_order()
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Gateway:Callers:b-svc:Keys:0:Sha256"] = "ab",
            ["Gateway:Callers:b-svc:Keys:10:Sha256"] = "cd",
            ["Gateway:Callers:b-svc:Keys:2:Sha256"] = "ef",
            ["Gateway:Callers:a-svc:ProjectIds:0"] = "1",
            ["Gateway:Callers:a-svc"] = "a value and children: only the children are leaves",
            ["Gateway:DefaultEnvironment"] = "stage",
            ["Gateway:Empty"] = "",
            ["Gatewayish:Other"] = "not under Gateway:",
            ["Kestrel:Limits:MaxRequestBodySize"] = "10",
        };
        var walked = ConfigurationLeaves.Of(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Gateway")).ToList();

        var flat = ConfigurationLeaves.Of(values, "Gateway").Order(ConfigurationKeyComparer.Instance).ToList();

        Assert.Equal(walked, flat);
        Assert.Contains("Gateway:Callers:b-svc:Keys:10:Sha256", flat);
        Assert.DoesNotContain("Gateway:Callers:a-svc", flat);
        Assert.DoesNotContain("Gatewayish:Other", flat);
        Assert.Equal(6, flat.Count);
    }
}

using DataForgeGateway.Callers;
using DataForgeGateway.Tests.Hosting;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace DataForgeGateway.Tests.Callers;

/// <summary>The quick start's demo key is a well-formed key whose entry matches it.</summary>
public sealed class DemoKeyTests
{
    [Fact]
    public void The_demo_key_printed_by_the_quick_start_matches_its_configured_entry()
    {
        var root = ConfigurationExampleTests.RepositoryRoot();
        var script = File.ReadAllText(Path.Combine(root, "scripts", "run-local.sh"));
        var key = System.Text.RegularExpressions.Regex.Match(script, "demo_key=\"([^\"]+)\"").Groups[1].Value;
        var settings = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(root, "src", "DataForgeGateway", "appsettings.Sandbox.json"))
            .Build();

        Assert.Equal(KeyShape.Valid, ApiKeyFormat.Inspect(key, out var keyId));
        Assert.Equal(settings["Gateway:Callers:demo:Keys:0:Id"], keyId.ToString());
        Assert.Equal(settings["Gateway:Callers:demo:Keys:0:Sha256"], GatewayHost.Sha256(key));
    }
}

using DataForgeGateway.Hosting;
using DataForgeGateway.Callers;
using DataForgeGateway.Settings;
using DataForgeGateway.Tokens;
using Microsoft.Extensions.Configuration;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>config/appsettings.example.json is complete, parses, and names only keys the gateway reads.</summary>
public sealed class ConfigurationExampleTests
{
    private static readonly string ExamplePath = Path.Combine(RepositoryRoot(), "config", "appsettings.example.json");

    [Fact]
    public void Every_key_in_the_example_is_one_the_gateway_reads()
    {
        var keys = Load().AsEnumerable().Where(pair => pair.Value is not null).Select(pair => pair.Key).ToList();

        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.True(ConfigurationSurface.IsKnown(key), $"{key} is not a key the gateway reads"));
    }

    [Fact]
    public void The_example_with_its_secret_supplied_passes_the_gateways_validation()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(ExamplePath)
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Gateway:Environments:stage:Auth0:ClientSecret"] = "from-a-secret",
                ["Gateway:Environments:prod:Auth0:ClientSecret"] = "from-another-secret",
            })
            .Build();

        Assert.True(new GatewayOptions.Validator().Validate(null, configuration.GetSection("Gateway").Get<GatewayOptions>()!).Succeeded);
        Assert.True(new CallersOptions.Validator(configuration).Validate(null, configuration.GetSection("Gateway").Get<CallersOptions>()!).Succeeded);
        Assert.True(new TokenOptions.Validator().Validate(null, configuration.GetSection(TokenOptions.SectionName).Get<TokenOptions>()!).Succeeded);
    }

    [Fact]
    public void The_example_holds_no_secret()
    {
        var configuration = Load();

        Assert.Equal("", configuration["Gateway:Environments:stage:Auth0:ClientSecret"]);
        Assert.Equal("", configuration["Gateway:Environments:prod:Auth0:ClientSecret"]);
        Assert.Equal("", configuration["Gateway:Tokens:EncryptionKey"]);
        Assert.Equal("", configuration["Gateway:Redis:ConnectionString"]);
    }

    [Fact]
    public void The_surface_check_itself_rejects_a_misspelt_key()
    {
        Assert.False(ConfigurationSurface.IsKnown("Gateway:Environments:stage:Auth0:ClientSecrett"));
        Assert.False(ConfigurationSurface.IsKnown("Gateway:Callers:billing-svc:Keys:0:Sha265"));
        Assert.True(ConfigurationSurface.IsKnown("gateway:callers:billing-svc:keys:0:sha256"));
    }

    private static IConfigurationRoot Load() => new ConfigurationBuilder().AddJsonFile(ExamplePath).Build();

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DataForgeGateway.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests from inside the repository.");
    }
}

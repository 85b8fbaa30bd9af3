using DataForgeGateway.Primitives;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.UnitTests.Primitives;

/// <summary>
/// Live options are built once at start-up: the first request reads what start-up validation built rather than
/// binding again (with 100,000 callers a bind costs seconds, which the first request used to pay).
/// </summary>
public sealed class LiveOptionsTests
{
    [Fact]
    public void The_first_read_after_start_up_validation_binds_nothing_more_and_a_reload_binds_once()
    {
        var source = new ChangingSource();
        var configuration = new ConfigurationBuilder().Add(source).Build();
        source.Provider.Change("first");
        var binds = 0;
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddValidatedOptions<SampleOptions, SampleOptions.Validator>("Sample");
        services.AddSingleton<IConfigureOptions<SampleOptions>>(new ConfigureOptions<SampleOptions>(_ => binds++));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
        var live = provider.GetRequiredService<LiveOptions<SampleOptions>>();

        Assert.Equal("first", live.Current.Name);
        Assert.Equal(1, binds);

        source.Provider.Change("second");

        Assert.Equal("second", live.Current.Name);
        Assert.Equal(2, binds);
    }

    private sealed class ChangingSource : IConfigurationSource
    {
        public ChangingProvider Provider { get; } = new();

        public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider;
    }

    /// <summary>A source whose change is announced as a file's reload would be.</summary>
    private sealed class ChangingProvider : ConfigurationProvider
    {
        public void Change(string name)
        {
            Data["Sample:Name"] = name;
            OnReload();
        }
    }

    public sealed class SampleOptions
    {
        public string Name { get; set; } = "";

        public sealed class Validator : IValidateOptions<SampleOptions>
        {
            public ValidateOptionsResult Validate(string? name, SampleOptions options) => ValidateOptionsResult.Success;
        }
    }
}

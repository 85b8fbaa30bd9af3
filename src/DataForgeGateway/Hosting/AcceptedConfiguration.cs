using Microsoft.Extensions.Configuration.Memory;

namespace DataForgeGateway.Hosting;

/// <summary>
/// The configuration the gateway runs on: what its sources (appsettings, environment, command line, mounted secrets)
/// said when they were last checked as a whole and found valid. The sources themselves sit behind it in
/// <see cref="Proposed"/>; a change there reaches the gateway only through <see cref="Accept"/>, so a wrong value never
/// reaches an options type, a change token or a reload callback (where an exception would end the host).
/// </summary>
internal sealed class AcceptedConfiguration : ConfigurationProvider, IConfigurationSource
{
    private AcceptedConfiguration(IConfigurationRoot proposed) => Proposed = proposed;

    /// <summary>Every source of the application's configuration, as they read now, checked or not.</summary>
    public IConfigurationRoot Proposed { get; }

    /// <summary>
    /// Moves every source of <paramref name="configuration"/> behind the gate. File sources stop watching by
    /// themselves (a file watcher's callback that throws ends the process; a folder swapped by the kubelet is not
    /// seen at all): <see cref="ConfigurationReloader"/> looks at them instead.
    /// </summary>
    public static AcceptedConfiguration Install(IConfigurationBuilder configuration)
    {
        var sources = configuration.Sources.ToList();
        var proposed = new ConfigurationBuilder();
        foreach (var (key, value) in configuration.Properties)
        {
            proposed.Properties[key] = value;
        }

        foreach (var source in sources)
        {
            if (source is FileConfigurationSource file)
            {
                file.ReloadOnChange = false;
            }

            proposed.Add(source);
        }

        var accepted = new AcceptedConfiguration(proposed.Build());
        configuration.Sources.Clear();
        configuration.Add(accepted);
        return accepted;
    }

    /// <summary>The files the proposed configuration reads (appsettings and the like), whether they exist or not.</summary>
    public IEnumerable<string> Files => Proposed.Providers.OfType<FileConfigurationProvider>()
        .Select(provider => provider.Source.FileProvider?.GetFileInfo(provider.Source.Path ?? "").PhysicalPath)
        .OfType<string>();

    /// <summary>The proposed configuration's values, leaves only, as one flat copy.</summary>
    public Dictionary<string, string?> Snapshot() =>
        Proposed.AsEnumerable().Where(pair => pair.Value is not null).ToDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>A configuration of exactly <paramref name="values"/>, to check before they are accepted.</summary>
    public static IConfigurationRoot Candidate(Dictionary<string, string?> values) =>
        new ConfigurationRoot([new MemoryConfigurationProvider(new MemoryConfigurationSource { InitialData = values })]);

    /// <summary>Whether <paramref name="values"/> are what the gateway runs on already.</summary>
    public bool IsCurrent(Dictionary<string, string?> values) =>
        values.Count == Data.Count && values.All(pair => Data.TryGetValue(pair.Key, out var value) && value == pair.Value);

    /// <summary>Makes <paramref name="values"/>, checked, the gateway's configuration and tells everyone who listens.</summary>
    public void Accept(Dictionary<string, string?> values)
    {
        Data = values;
        OnReload();
    }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    public override void Load() => Data = Snapshot();

    /// <summary>A value set in code (ASP.NET Core sets <c>urls</c> this way) is set behind the gate too, so a reload keeps it.</summary>
    public override void Set(string key, string? value)
    {
        base.Set(key, value);
        Proposed[key] = value;
    }
}

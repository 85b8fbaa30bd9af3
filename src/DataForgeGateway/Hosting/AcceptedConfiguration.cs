using System.Reflection;

namespace DataForgeGateway.Hosting;

/// <summary>
/// The configuration the gateway runs on: what its sources (appsettings, environment, command line, mounted secrets)
/// said when they were last checked as a whole and found valid. The sources themselves sit behind it in
/// <see cref="Proposed"/>; a change there reaches the gateway only through <see cref="Accept"/>, so a wrong value never
/// reaches an options type, a change token or a reload callback (where an exception would end the host).
/// </summary>
internal sealed class AcceptedConfiguration : IndexedConfigurationProvider, IConfigurationSource
{
    /// <summary>A provider's own values (<see cref="ConfigurationProvider"/>'s protected <c>Data</c>), read in one pass.</summary>
    private static readonly PropertyInfo ProviderData = typeof(ConfigurationProvider).GetProperty("Data", BindingFlags.NonPublic | BindingFlags.Instance)!;

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
    /// <remarks>
    /// Each provider's values are read as they are, later providers winning (a null from a later one removes the
    /// key, as the configuration's indexer reads it). Walking <see cref="IConfigurationRoot"/> section by section
    /// (<c>AsEnumerable</c>) would cost each section a scan of every key: with 100,000 callers, minutes.
    /// </remarks>
    public Dictionary<string, string?> Snapshot() => Flatten(Proposed);

    /// <summary>A configuration's values, leaves only, in one pass per provider (see <see cref="Snapshot"/>).</summary>
    public static Dictionary<string, string?> Flatten(IConfigurationRoot configuration)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in configuration.Providers)
        {
            var own = provider is ConfigurationProvider known && ProviderData.GetValue(known) is IDictionary<string, string?> data
                ? data
                : new ConfigurationRoot([provider]).AsEnumerable();
            foreach (var (key, value) in own)
            {
                if (value is null)
                {
                    values.Remove(key);
                }
                else
                {
                    values[key] = value;
                }
            }
        }

        return values;
    }

    /// <summary>A configuration of exactly <paramref name="values"/>, to check before they are accepted.</summary>
    public static IConfigurationRoot Candidate(Dictionary<string, string?> values) =>
        new ConfigurationRoot([new IndexedConfigurationProvider(values)]);

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

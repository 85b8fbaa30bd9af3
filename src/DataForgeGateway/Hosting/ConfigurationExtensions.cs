using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace DataForgeGateway.Hosting;

/// <summary>Where configuration comes from, besides ASP.NET Core's defaults (appsettings, environment, command line).</summary>
public static class ConfigurationExtensions
{
    /// <summary>
    /// <c>Gateway:SecretsDirectory</c>: a folder of mounted secret files, one setting per file, named like
    /// environment variables (<c>Gateway__Environments__stage__Auth0__ClientSecret</c>). Looked at for changes with the
    /// other configuration files (<see cref="ConfigurationReloader"/>).
    /// </summary>
    public const string SecretsDirectoryKey = "Gateway:SecretsDirectory";

    /// <summary>
    /// <c>Gateway:SettingsFile</c>: one more JSON file of settings, read after appsettings.{Environment}.json (the
    /// environment, the command line and the secrets folder still override it). The chart mounts its ConfigMap as a
    /// folder and names the file here: the kubelet updates it in place (a <c>..data</c> swap), which a file mounted
    /// by subPath never is, so new and revoked keys reach a running gateway.
    /// </summary>
    public const string SettingsFileKey = "Gateway:SettingsFile";

    public static IHostApplicationBuilder AddGatewayConfiguration(this IHostApplicationBuilder builder)
    {
        GatewayHosting.AddDefaults(builder.Configuration);
        var settingsFile = builder.Configuration[SettingsFileKey] is { Length: > 0 } named ? Path.GetFullPath(named) : null;
        if (settingsFile is not null)
        {
            AddSettingsFile(builder.Configuration, settingsFile);
        }

        if (builder.Configuration[SecretsDirectoryKey] is { Length: > 0 } directory)
        {
            // Optional here so that a missing folder is reported like every other misconfiguration, below.
            builder.Configuration.AddKeyPerFile(directory, optional: true, reloadOnChange: false);
        }

        // Every source behind one gate: a change reaches the gateway only once it has been checked whole.
        builder.Services.AddSingleton(AcceptedConfiguration.Install(builder.Configuration));
        builder.Services.AddSingleton<ConfigurationReloads>();
        builder.Services.AddSingleton<ConfigurationReloader>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<ConfigurationReloader>());
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(ConfigurationReloads.MeterName));
        builder.Services.AddHealthChecks().AddCheck<ConfigurationHealthCheck>(ConfigurationHealthCheck.Name, HealthStatus.Degraded, [Health.HealthCheckExtensions.ReadyTag]);

        // The host reads only shutdownTimeoutSeconds by itself; HostOptions:ShutdownTimeout (which the chart sets)
        // bounds how long requests in flight are drained after SIGTERM.
        // Bound leniently: the host reads these while it is built, before the configuration is checked; a value that
        // does not read (ShutdownTimeout=soon) is then reported in one line by the checks, not as a crash.
        var hostOptions = builder.Configuration.GetSection("HostOptions");
        builder.Services.Configure<HostOptions>(options =>
        {
            try
            {
                hostOptions.Bind(options);
            }
            catch (InvalidOperationException)
            {
            }
        });

        builder.Services.AddOptions<SecretsDirectoryOptions>()
            .Configure(options => options.Path = builder.Configuration[SecretsDirectoryKey])
            .Validate(options => options.Path is not { Length: > 0 } path || Directory.Exists(path), $"{SecretsDirectoryKey} names a folder that does not exist.")
            .ValidateOnStart();
        builder.Services.AddOptions<SettingsFileOptions>()
            .Configure(options => options.Path = settingsFile)
            .Validate(options => options.Path is null || File.Exists(options.Path), $"{SettingsFileKey} names a file that does not exist.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// The file as one more JSON source, after the last one (appsettings.{Environment}.json). Required once it
    /// exists, so that a reload which finds it gone is refused rather than read as "no settings"; missing at
    /// start-up, it is reported in one line by the start-up checks.
    /// </summary>
    private static void AddSettingsFile(IConfigurationBuilder configuration, string path)
    {
        var source = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(path)!),
            Path = Path.GetFileName(path),
            Optional = !File.Exists(path),
            ReloadOnChange = false,
        };
        var lastJson = configuration.Sources.Select((s, index) => (s, index)).LastOrDefault(pair => pair.s is Microsoft.Extensions.Configuration.Json.JsonConfigurationSource);
        configuration.Sources.Insert(lastJson.s is null ? configuration.Sources.Count : lastJson.index + 1, source);
    }

    private sealed class SettingsFileOptions
    {
        public string? Path { get; set; }
    }

    private sealed class SecretsDirectoryOptions
    {
        public string? Path { get; set; }
    }
}

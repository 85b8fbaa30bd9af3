
namespace DataForgeGateway.Hosting;

/// <summary>Where configuration comes from, besides ASP.NET Core's defaults (appsettings, environment, command line).</summary>
public static class ConfigurationExtensions
{
    /// <summary>
    /// <c>Gateway:SecretsDirectory</c>: a folder of mounted secret files, one setting per file, named like
    /// environment variables (<c>Gateway__Environments__stage__Auth0__ClientSecret</c>). Re-read when they change.
    /// </summary>
    public const string SecretsDirectoryKey = "Gateway:SecretsDirectory";

    public static IHostApplicationBuilder AddGatewayConfiguration(this IHostApplicationBuilder builder)
    {
        GatewayHosting.AddDefaults(builder.Configuration);
        if (builder.Configuration[SecretsDirectoryKey] is { Length: > 0 } directory)
        {
            // Optional here so that a missing folder is reported like every other misconfiguration, below.
            builder.Configuration.AddKeyPerFile(directory, optional: true, reloadOnChange: true);

            // The file watcher above sees plain writes; Kubernetes swaps a symlink instead, which this sees.
            builder.Services.AddHostedService<SecretsDirectoryWatcher>();
        }

        // The host reads only shutdownTimeoutSeconds by itself; HostOptions:ShutdownTimeout (which the chart sets)
        // bounds how long requests in flight are drained after SIGTERM.
        builder.Services.Configure<HostOptions>(builder.Configuration.GetSection("HostOptions"));

        builder.Services.AddOptions<SecretsDirectoryOptions>()
            .Configure(options => options.Path = builder.Configuration[SecretsDirectoryKey])
            .Validate(options => options.Path is not { Length: > 0 } path || Directory.Exists(path), $"{SecretsDirectoryKey} names a folder that does not exist.")
            .ValidateOnStart();
        return builder;
    }

    private sealed class SecretsDirectoryOptions
    {
        public string? Path { get; set; }
    }
}

namespace DataForgeGateway.Hosting;

/// <summary>
/// Where the gateway finds its settings, and the settings that keep secrets out of logs: both hold wherever the
/// process is started from, not only when the working directory happens to be the application's folder.
/// </summary>
public static class GatewayHosting
{
    /// <summary>
    /// Log levels the gateway relies on, as the lowest layer of configuration: <c>appsettings.json</c>, the
    /// environment and the command line still override them. At Information, ASP.NET Core's hosting diagnostics log
    /// every request's full URL, query string included (a key sent there would be logged); and at any level they
    /// open a log scope and an activity per request.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["Logging:LogLevel:Yarp"] = "Warning",
    };

    /// <summary>The builder's options: the content root is the application's folder unless one is given.</summary>
    public static WebApplicationOptions Options(string[] args)
    {
        // A line of a request ended by LF alone is refused (400), as RFC 9112 §2.2 allows: Kestrel accepts it by
        // default, and a proxy in front that reads the request otherwise could smuggle one past the other.
        AppContext.SetSwitch("Microsoft.AspNetCore.Server.Kestrel.DisableHttp1LineFeedTerminators", true);
        return new()
        {
            Args = args,
            ContentRootPath = ContentRootGiven(args) ? null : AppContext.BaseDirectory,
        };
    }

    /// <summary>Puts <see cref="Defaults"/> beneath every other configuration source.</summary>
    public static void AddDefaults(IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = Defaults });

    private static bool ContentRootGiven(string[] args) =>
        args.Any(arg => arg.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
        || Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is { Length: > 0 }
        || Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT") is { Length: > 0 };
}

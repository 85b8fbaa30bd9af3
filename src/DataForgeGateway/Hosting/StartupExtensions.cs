using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Hosting;

/// <summary>Runs the gateway; a misconfiguration ends start-up with one line per wrong key, not a stack trace.</summary>
public static class StartupExtensions
{
    public const int ConfigurationErrorExitCode = 78; // EX_CONFIG

    public static async Task<int> RunGatewayAsync(this WebApplication app)
    {
        if (ConfigurationSurface.UnknownKeys(app.Configuration).ToList() is { Count: > 0 } unknown)
        {
            await ReportAsync(unknown);
            return ConfigurationErrorExitCode;
        }

        try
        {
            // The host would run the same checks in StartAsync, but log them with a stack trace first.
            app.Services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (OptionsValidationException e)
        {
            await ReportAsync(e.Failures);
            return ConfigurationErrorExitCode;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OptionsValidationException))
        {
            await ReportAsync(e.InnerExceptions.Cast<OptionsValidationException>().SelectMany(inner => inner.Failures));
            return ConfigurationErrorExitCode;
        }

        try
        {
            await app.RunAsync();
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            // Two instances on one machine given the same port: say which setting to change, not a stack trace.
            await Console.Error.WriteLineAsync($"Configuration error: {e.Message} Give this instance another port: --urls (or urls, ASPNETCORE_URLS) for the proxy, Gateway:Management:Url for health.");
            return ConfigurationErrorExitCode;
        }

        return 0;
    }

    private static async Task ReportAsync(IEnumerable<string> failures)
    {
        foreach (var failure in failures)
        {
            await Console.Error.WriteLineAsync($"Configuration error: {failure}");
        }
    }
}

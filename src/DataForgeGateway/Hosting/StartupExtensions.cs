using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Hosting;

/// <summary>Runs the gateway; a misconfiguration ends start-up with one line per wrong key, not a stack trace.</summary>
public static class StartupExtensions
{
    public const int ConfigurationErrorExitCode = 78; // EX_CONFIG

    public static async Task<int> RunGatewayAsync(this WebApplication app)
    {
        // The rules every reload is held to, too (ConfigurationReloader).
        if (ConfigurationChecks.Check(app.Configuration, app.Services) is { Count: > 0 } failures)
        {
            await ReportAsync(failures);
            return ConfigurationErrorExitCode;
        }

        // What was checked (a callers file as it read then) is what the options are built from.
        app.Services.GetService<Callers.CallersFile>()?.AcceptProposed();
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
        catch (InvalidOperationException e) when (ConfigurationChecks.Unreadable(e) is { } line)
        {
            await ReportAsync([line]);
            return ConfigurationErrorExitCode;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OptionsValidationException || ConfigurationChecks.Unreadable(inner) is not null))
        {
            await ReportAsync(e.InnerExceptions.SelectMany(inner => inner is OptionsValidationException failed ? failed.Failures : [ConfigurationChecks.Unreadable(inner)!]));
            return ConfigurationErrorExitCode;
        }

        // Before the host starts: a port in use would otherwise be logged with a stack trace first.
        if (PortInUse(Health.ManagementPortExtensions.ListenUrls(app.Configuration)) is { } taken)
        {
            await Console.Error.WriteLineAsync($"Configuration error: Failed to bind to address {taken}: address already in use. {AnotherPort}");
            return ConfigurationErrorExitCode;
        }

        try
        {
            await app.RunAsync();
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            // Two instances on one machine given the same port: say which setting to change, not a stack trace.
            await Console.Error.WriteLineAsync($"Configuration error: {e.Message} {AnotherPort}");
            return ConfigurationErrorExitCode;
        }

        return 0;
    }

    private const string AnotherPort = "Give this instance another port: --urls (or urls, ASPNETCORE_URLS) for the proxy, Gateway:Management:Url for health.";

    /// <summary>The first URL whose port another process holds, found by binding it for a moment.</summary>
    private static string? PortInUse(IEnumerable<string> urls)
    {
        foreach (var url in urls)
        {
            if (!Health.ManagementOptions.Validator.TryParseListenUrl(url, out var uri) || uri.Port <= 0)
            {
                continue;
            }

            var address = uri.Host == "localhost" ? System.Net.IPAddress.Loopback : System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed : null;
            if (address is null)
            {
                continue;
            }

            try
            {
                var listener = new System.Net.Sockets.TcpListener(address, uri.Port);
                listener.Start();
                listener.Stop();
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                return url;
            }
        }

        return null;
    }

    private static async Task ReportAsync(IEnumerable<string> failures)
    {
        foreach (var failure in failures)
        {
            await Console.Error.WriteLineAsync($"Configuration error: {failure}");
        }
    }
}

using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Hosting;

/// <summary>Runs the gateway; a misconfiguration ends start-up with one line per wrong key, not a stack trace.</summary>
public static partial class StartupExtensions
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
        catch (InvalidOperationException e) when (Unreadable(e) is { } line)
        {
            await ReportAsync([line]);
            return ConfigurationErrorExitCode;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OptionsValidationException || Unreadable(inner) is not null))
        {
            await ReportAsync(e.InnerExceptions.SelectMany(inner => inner is OptionsValidationException failed ? failed.Failures : [Unreadable(inner)!]));
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

    /// <summary>
    /// A value the configuration binder could not convert (<c>Gateway:Audit:Stdout=maybe</c>), as one line naming the
    /// key and the type wanted; not the value, which could be anything an operator pasted.
    /// </summary>
    private static string? Unreadable(Exception e) =>
        e is InvalidOperationException && ConversionFailure().Match(e.Message) is { Success: true } match
            ? $"{match.Groups["key"].Value} cannot be read as {match.Groups["type"].Value.Replace("System.", "", StringComparison.Ordinal)}."
            : null;

    [System.Text.RegularExpressions.GeneratedRegex(@"^Failed to convert configuration value '.*' at '(?<key>[^']+)' to type '(?<type>[^']+)'", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex ConversionFailure();

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

using Microsoft.Extensions.Options;

namespace DataForgeGateway.Hosting;

/// <summary>Runs the gateway; a misconfiguration ends start-up with one line per wrong key, not a stack trace.</summary>
public static class StartupExtensions
{
    public const int ConfigurationErrorExitCode = 78; // EX_CONFIG

    public static async Task<int> RunGatewayAsync(this WebApplication app)
    {
        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException e)
        {
            foreach (var failure in e.Failures)
            {
                await Console.Error.WriteLineAsync($"Configuration error: {failure}");
            }

            return ConfigurationErrorExitCode;
        }
    }
}

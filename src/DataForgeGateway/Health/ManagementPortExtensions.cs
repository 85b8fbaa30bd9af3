using DataForgeGateway.Problems;
using HealthChecks.UI.Client;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Health;

/// <summary>
/// Listens on the proxy URLs (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>) and on the
/// management URL, and keeps the two apart: health answers only on the management port, DataForge routes only
/// on the others.
/// </summary>
public static class ManagementPortExtensions
{
    public const string LivenessPath = "/health/live";
    public const string ReadinessPath = "/health/ready";
    public const string MetricsPath = "/metrics";

    public static IHostApplicationBuilder AddManagementPort(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ManagementOptions.SectionName);
        var management = section.Get<ManagementOptions>() ?? new ManagementOptions();
        var proxyUrls = ProxyUrls(builder.Configuration);
        var validator = new ManagementOptions.Validator(proxyUrls);
        builder.Services.AddOptions<ManagementOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ManagementOptions>>(validator);

        // A wrong management URL is left out here and reported by the validator at start-up, in one line.
        // A wrong proxy URL is not handed to Kestrel either (it would fail with a stack trace); the same line reports it.
        var valid = validator.Validate(null, management).Succeeded;
        builder.WebHost.UseUrls(valid ? [.. proxyUrls, management.Url] : [.. proxyUrls.Where(ManagementOptions.Validator.IsListenUrl)]);
        return builder;
    }

    /// <summary>The management port's own small pipeline: liveness, readiness, and 404 for anything else.</summary>
    public static WebApplication MapManagementEndpoints(this WebApplication app)
    {
        // Read unvalidated: a wrong URL is reported by ValidateOnStart, in one line, when the app starts.
        var port = app.Configuration.GetSection(ManagementOptions.SectionName).Get<ManagementOptions>()?.Port ?? new ManagementOptions().Port;
        app.MapWhen(context => context.Connection.LocalPort == port, management =>
        {
            management.UseHealthChecks(LivenessPath, new HealthCheckOptions
            {
                Predicate = check => check.Tags.Contains(HealthCheckExtensions.LiveTag),
                ResponseWriter = UIResponseWriter.WriteHealthCheckUIResponse,
            });
            management.UseHealthChecks(ReadinessPath, new HealthCheckOptions
            {
                Predicate = check => check.Tags.Contains(HealthCheckExtensions.ReadyTag),
                ResponseWriter = UIResponseWriter.WriteHealthCheckUIResponse,
            });
            management.UseOpenTelemetryPrometheusScrapingEndpoint(MetricsPath);
            management.Run(context => context.WriteProblemAsync(GatewayProblem.RouteNotFound, "The management port serves /health/live, /health/ready and /metrics."));
        });
        return app;
    }

    /// <summary>Every URL the gateway listens on: the proxy's and the management one.</summary>
    public static IEnumerable<string> ListenUrls(IConfiguration configuration) =>
        ProxyUrls(configuration).Append(configuration.GetSection(ManagementOptions.SectionName).Get<ManagementOptions>()?.Url ?? new ManagementOptions().Url);

    /// <summary>The proxy's URLs as Kestrel would have chosen them had the management URL not been added.</summary>
    private static string[] ProxyUrls(IConfiguration configuration)
    {
        if (Split(configuration["urls"]) is { Length: > 0 } urls)
        {
            return urls;
        }

        var ports = Split(configuration["http_ports"]).Select(p => $"http://*:{p}")
            .Concat(Split(configuration["https_ports"]).Select(p => $"https://*:{p}"))
            .ToArray();
        return ports.Length > 0 ? ports : ["http://localhost:5000"];
    }

    private static string[] Split(string? value) =>
        value?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}

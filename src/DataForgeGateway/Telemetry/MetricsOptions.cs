using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace DataForgeGateway.Telemetry;

/// <summary>Which of the framework's metrics the gateway collects, besides its own.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Gateway:Metrics";

    /// <summary>
    /// Also collect the framework's instruments that are recorded several times a request and say what the gateway's
    /// own metrics and the kept ones already say (<see cref="PerRequestFrameworkInstruments"/>). Off, they cost nothing:
    /// an instrument no one collects is never recorded. On, a busy replica spends about a sixth more CPU a request
    /// (bench/README.md).
    /// </summary>
    public bool AllFrameworkInstruments { get; set; }

    /// <summary>
    /// Left out unless <see cref="AllFrameworkInstruments"/>: in-flight gauges moved up and down on every request and
    /// every pooled connection's turn (the gateway's request metrics and Kestrel's connection gauges remain), the
    /// time a request waited for a pooled connection, routing's match counter (one a request, what the gateway's
    /// request counter counts), and Kestrel's memory pool counters (one each buffer rented). Kept: the request
    /// durations of ASP.NET Core and of the HttpClient calls to DataForge and Auth0, connection metrics,
    /// exceptions, DNS and the runtime's.
    /// </summary>
    public static readonly IReadOnlyList<string> PerRequestFrameworkInstruments =
    [
        "http.server.active_requests",
        "http.client.active_requests",
        "http.client.open_connections",
        "http.client.request.time_in_queue",
        "aspnetcore.routing.match_attempts",
        "aspnetcore.memory_pool.*",
    ];

    /// <summary>
    /// Leaves out the per-request framework instruments unless they are asked for. Called when the meter provider is
    /// built; a value that cannot be read leaves them out, and start-up validation stops the gateway with one line
    /// naming the key.
    /// </summary>
    internal static void ApplyTo(MeterProviderBuilder metrics, IOptions<MetricsOptions> options)
    {
        try
        {
            if (options.Value.AllFrameworkInstruments)
            {
                return;
            }
        }
        catch (InvalidOperationException)
        {
            // Reported by RunGatewayAsync's validation, which runs before the host starts.
        }

        foreach (var instrument in PerRequestFrameworkInstruments)
        {
            metrics.AddView(instrument, MetricStreamConfiguration.Drop);
        }
    }
}

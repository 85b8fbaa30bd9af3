using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;

namespace DataForgeGateway.Primitives;

/// <summary>
/// The one shape of a feature's metrics: a meter of the feature's own name, made by the host's
/// <see cref="IMeterFactory"/> (which owns it and disposes it with the host), its instruments created in the
/// constructor, one method per thing that happened. Registered with <see cref="FeatureMetricsExtensions.AddFeatureMetrics{T}"/>.
/// </summary>
public abstract class FeatureMetrics(IMeterFactory meters, string meterName)
{
    /// <summary>The feature's meter, named <c>DataForgeGateway.&lt;Feature&gt;</c>.</summary>
    protected Meter Meter { get; } = meters.Create(meterName);

    /// <summary>A tag, spelled once.</summary>
    protected static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);
}

/// <summary>Registers a feature's metrics and has OpenTelemetry collect its meter.</summary>
public static class FeatureMetricsExtensions
{
    public static IServiceCollection AddFeatureMetrics<T>(this IServiceCollection services, string meterName)
        where T : FeatureMetrics
    {
        services.TryAddSingleton<T>();
        return services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(meterName));
    }
}

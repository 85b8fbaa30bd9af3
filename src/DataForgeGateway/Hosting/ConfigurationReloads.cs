using System.Diagnostics.Metrics;

namespace DataForgeGateway.Hosting;

/// <summary>
/// What became of the configuration changes this replica was offered: how many were applied and refused, and whether
/// the newest one was refused (the replica then serves on the last good one). Read by readiness and <c>/metrics</c>.
/// </summary>
public sealed class ConfigurationReloads : IDisposable
{
    public const string MeterName = "DataForgeGateway.Configuration";

    private readonly Meter _meter;
    private readonly TimeProvider _clock;
    private long _applied;
    private long _refused;
    private long _looks;
    private volatile Refusal? _refusal;

    public ConfigurationReloads(IMeterFactory meters, TimeProvider clock)
    {
        _clock = clock;
        _meter = meters.Create(MeterName);

        // Observed, so both series exist (at 0) from the first scrape: a dashboard shows 0, not "No data".
        _meter.CreateObservableCounter(
            "dataforge_gateway.configuration.reloads",
            () => new[]
            {
                new Measurement<long>(Interlocked.Read(ref _applied), new KeyValuePair<string, object?>("outcome", "applied")),
                new Measurement<long>(Interlocked.Read(ref _refused), new KeyValuePair<string, object?>("outcome", "refused")),
            },
            "{change}",
            "Configuration changes (a reload, a swapped Secret) checked whole, by outcome: applied, or refused with the last good configuration kept.");
        _meter.CreateObservableGauge(
            "dataforge_gateway.configuration.refused",
            () => _refusal is null ? 0 : 1,
            "{state}",
            "1 while the newest configuration this replica was offered is refused and it serves on the last good one.");
    }

    /// <summary>The newest change's refusal, while it is the newest; null when the replica runs on what it was last offered.</summary>
    public Refusal? Pending => _refusal;

    /// <summary>How many times the reloader has looked at the configuration's files: a test waits for looks, not for time.</summary>
    public long Looks => Interlocked.Read(ref _looks);

    internal void Looked() => Interlocked.Increment(ref _looks);

    /// <summary>A refused change: when, and one line per wrong key (never a value).</summary>
    public sealed record Refusal(DateTimeOffset At, IReadOnlyList<string> Failures);

    /// <summary>Records a refusal; false when it is the same refusal as the pending one (already logged and counted).</summary>
    internal bool Refused(IReadOnlyList<string> failures)
    {
        if (_refusal is { } pending && pending.Failures.SequenceEqual(failures, StringComparer.Ordinal))
        {
            return false;
        }

        Interlocked.Increment(ref _refused);
        _refusal = new Refusal(_clock.GetUtcNow(), failures);
        return true;
    }

    internal void Applied()
    {
        Interlocked.Increment(ref _applied);
        _refusal = null;
    }

    /// <summary>The sources came back to what the replica runs on: nothing is refused any more.</summary>
    internal void BackToCurrent() => _refusal = null;

    public void Dispose() => _meter.Dispose();
}

using System.Collections.Concurrent;

namespace DataForgeGateway.Primitives;

/// <summary>
/// Values that expire, in this replica's memory: what a feature keeps per replica when no Redis is configured
/// (idempotency keys, cached answers). Expired entries are dropped when read, and swept once there are many, so
/// memory follows what is live.
/// </summary>
public sealed class ExpiringEntries<T>(TimeProvider clock)
    where T : class
{
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The live value under <paramref name="key"/>, or null.</summary>
    public T? Get(string key) => _entries.TryGetValue(key, out var entry) && entry.Until > clock.GetUtcNow() ? entry.Value : null;

    /// <summary>Adds <paramref name="value"/> unless a live value is there: null when added, else the live value.</summary>
    public T? GetOrAdd(string key, T value, TimeSpan ttl)
    {
        Sweep();
        var now = clock.GetUtcNow();
        while (true)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                if (existing.Until > now)
                {
                    return existing.Value;
                }

                _entries.TryRemove(new KeyValuePair<string, Entry>(key, existing));
                continue;
            }

            if (_entries.TryAdd(key, new Entry(value, now + ttl)))
            {
                return null;
            }
        }
    }

    public void Set(string key, T value, TimeSpan ttl)
    {
        Sweep();
        _entries[key] = new Entry(value, clock.GetUtcNow() + ttl);
    }

    /// <summary>Replaces <paramref name="expected"/> (the same instance) by <paramref name="value"/>; nothing if another is there.</summary>
    public void Replace(string key, T expected, T value, TimeSpan ttl)
    {
        if (_entries.TryGetValue(key, out var entry) && ReferenceEquals(entry.Value, expected))
        {
            _entries.TryUpdate(key, new Entry(value, clock.GetUtcNow() + ttl), entry);
        }
    }

    /// <summary>Removes <paramref name="expected"/> (the same instance); nothing if another is there.</summary>
    public void Remove(string key, T expected)
    {
        if (_entries.TryGetValue(key, out var entry) && ReferenceEquals(entry.Value, expected))
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }
    }

    public void Remove(string key) => _entries.TryRemove(key, out _);

    private void Sweep()
    {
        if (_entries.Count <= SweepAbove)
        {
            return;
        }

        var now = clock.GetUtcNow();
        foreach (var (key, entry) in _entries)
        {
            if (entry.Until <= now)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            }
        }
    }

    private readonly record struct Entry(T Value, DateTimeOffset Until);
}

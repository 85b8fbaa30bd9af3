using System.Collections.Concurrent;

namespace DataForgeGateway.Idempotency;

/// <summary>Where keys and answers are kept: opaque, already encrypted values under storage keys.</summary>
internal interface IIdempotencyStore
{
    /// <summary>Stores <paramref name="claim"/> if nothing is stored under the key; else returns what is.</summary>
    Task<byte[]?> ClaimOrGetAsync(string key, byte[] claim, TimeSpan ttl);

    Task<byte[]?> GetAsync(string key);

    /// <summary>Replaces <paramref name="claim"/> (only if it is still what is stored) by <paramref name="value"/>.</summary>
    Task CompleteAsync(string key, byte[] claim, byte[] value, TimeSpan ttl);

    /// <summary>Removes <paramref name="claim"/> (only if it is still what is stored): the next request with the key tries again.</summary>
    Task ReleaseAsync(string key, byte[] claim);

    /// <summary>Removes whatever is stored (a value that no longer decrypts).</summary>
    Task ForgetAsync(string key);
}

/// <summary>This replica's memory: keys are seen by this replica only (no Redis configured, or Redis failing).</summary>
internal sealed class InProcessIdempotencyStore(TimeProvider clock) : IIdempotencyStore
{
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<string, (byte[] Value, DateTimeOffset Until)> _entries = new(StringComparer.Ordinal);

    public Task<byte[]?> ClaimOrGetAsync(string key, byte[] claim, TimeSpan ttl)
    {
        Sweep();
        var now = clock.GetUtcNow();
        while (true)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                if (existing.Until > now)
                {
                    return Task.FromResult<byte[]?>(existing.Value);
                }

                _entries.TryRemove(new KeyValuePair<string, (byte[], DateTimeOffset)>(key, existing));
                continue;
            }

            if (_entries.TryAdd(key, (claim, now + ttl)))
            {
                return Task.FromResult<byte[]?>(null);
            }
        }
    }

    public Task<byte[]?> GetAsync(string key) =>
        Task.FromResult(_entries.TryGetValue(key, out var entry) && entry.Until > clock.GetUtcNow() ? entry.Value : null);

    public Task CompleteAsync(string key, byte[] claim, byte[] value, TimeSpan ttl)
    {
        if (_entries.TryGetValue(key, out var entry) && ReferenceEquals(entry.Value, claim))
        {
            _entries.TryUpdate(key, (value, clock.GetUtcNow() + ttl), entry);
        }

        return Task.CompletedTask;
    }

    public Task ReleaseAsync(string key, byte[] claim)
    {
        if (_entries.TryGetValue(key, out var entry) && ReferenceEquals(entry.Value, claim))
        {
            _entries.TryRemove(new KeyValuePair<string, (byte[], DateTimeOffset)>(key, entry));
        }

        return Task.CompletedTask;
    }

    public Task ForgetAsync(string key)
    {
        _entries.TryRemove(key, out _);
        return Task.CompletedTask;
    }

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
                _entries.TryRemove(new KeyValuePair<string, (byte[], DateTimeOffset)>(key, entry));
            }
        }
    }
}

using DataForgeGateway.Primitives;

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
    private readonly ExpiringEntries<byte[]> _entries = new(clock);

    public Task<byte[]?> ClaimOrGetAsync(string key, byte[] claim, TimeSpan ttl) => Task.FromResult(_entries.GetOrAdd(key, claim, ttl));

    public Task<byte[]?> GetAsync(string key) => Task.FromResult(_entries.Get(key));

    public Task CompleteAsync(string key, byte[] claim, byte[] value, TimeSpan ttl)
    {
        _entries.Replace(key, claim, value, ttl);
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(string key, byte[] claim)
    {
        _entries.Remove(key, claim);
        return Task.CompletedTask;
    }

    public Task ForgetAsync(string key)
    {
        _entries.Remove(key);
        return Task.CompletedTask;
    }
}

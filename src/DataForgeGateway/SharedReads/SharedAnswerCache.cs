using System.Security.Cryptography;
using System.Text;
using DataForgeGateway.Primitives;
using DataForgeGateway.Redis;
using DataForgeGateway.Answers;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.SharedReads;

/// <summary>The short cache of read answers.</summary>
internal interface ISharedAnswerCache
{
    Task<SharedAnswer?> GetAsync(string key);

    Task SetAsync(string key, SharedAnswer answer, TimeSpan ttl);
}

/// <summary>This replica's memory (no Redis configured): identical reads on this replica share the cache.</summary>
internal sealed class InProcessAnswerCache(TimeProvider clock) : ISharedAnswerCache
{
    private readonly ExpiringEntries<SharedAnswer> _entries = new(clock);

    public Task<SharedAnswer?> GetAsync(string key) => Task.FromResult(_entries.Get(key));

    public Task SetAsync(string key, SharedAnswer answer, TimeSpan ttl)
    {
        _entries.Set(key, answer, ttl);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Redis: every replica reads the answers any replica stored, encrypted like tokens (AES-GCM, bound to the storage
/// key; an answer that no longer decrypts is a miss). A Redis that fails is a miss, never an error.
/// </summary>
internal sealed partial class RedisAnswerCache(
    RedisConnection redis,
    IOptions<RedisOptions> options,
    AnswerProtection protection,
    RedisMetrics metrics,
    ILogger<RedisAnswerCache> logger) : ISharedAnswerCache
{
    public async Task<SharedAnswer?> GetAsync(string key)
    {
        try
        {
            var storageKey = StorageKey(key);
            var stored = await (await redis.GetAsync()).GetDatabase().StringGetAsync(storageKey);
            return stored.HasValue && protection.Unprotect(stored!, storageKey) is { } plaintext ? SharedAnswer.FromBytes(plaintext) : null;
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            Unavailable("read", e);
            return null;
        }
    }

    public async Task SetAsync(string key, SharedAnswer answer, TimeSpan ttl)
    {
        try
        {
            var storageKey = StorageKey(key);
            await (await redis.GetAsync()).GetDatabase().StringSetAsync(storageKey, protection.Protect(answer.ToBytes(), storageKey), ttl);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            Unavailable("write", e);
        }
    }

    private string StorageKey(string key) => $"{options.Value.InstanceName}reads:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";

    private void Unavailable(string operation, Exception e)
    {
        metrics.Failed("reads");
        Log.Unavailable(logger, operation, redis.Describe(e));
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Redis read-cache {Operation} failed ({Error}); the read goes to DataForge")]
        public static partial void Unavailable(ILogger logger, string operation, string error);
    }
}

using DataForgeGateway.Redis;
using StackExchange.Redis;

namespace DataForgeGateway.Idempotency;

/// <summary>
/// Keys and answers in Redis, so that a retry on any replica finds them. A Redis that fails costs this replica its
/// own memory for the request (logged and counted): the request goes on, with per-replica protection only.
/// </summary>
internal sealed partial class RedisIdempotencyStore(
    RedisConnection redis, InProcessIdempotencyStore fallback, RedisMetrics metrics, ILogger<RedisIdempotencyStore> logger) : IIdempotencyStore
{
    // Compare-and-set and compare-and-delete: a replica whose claim expired must not overwrite the next one's.
    private const string CompleteScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else return 0 end";
    private const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    public async Task<byte[]?> ClaimOrGetAsync(string key, byte[] claim, TimeSpan ttl)
    {
        try
        {
            var database = (await redis.GetAsync()).GetDatabase();
            while (true)
            {
                if (await database.StringSetAsync(key, claim, ttl, When.NotExists))
                {
                    return null;
                }

                // Gone between the two commands (expired, released): claim again.
                if (await database.StringGetAsync(key) is { HasValue: true } stored)
                {
                    return stored;
                }
            }
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            Unavailable("claim", e);
            return await fallback.ClaimOrGetAsync(key, claim, ttl);
        }
    }

    public async Task<byte[]?> GetAsync(string key)
    {
        try
        {
            var stored = await (await redis.GetAsync()).GetDatabase().StringGetAsync(key);
            return stored.HasValue ? (byte[]?)stored : null;
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            Unavailable("read", e);
            return await fallback.GetAsync(key);
        }
    }

    public async Task CompleteAsync(string key, byte[] claim, byte[] value, TimeSpan ttl)
    {
        try
        {
            await (await redis.GetAsync()).GetDatabase().ScriptEvaluateAsync(CompleteScript, [key], [claim, value, (long)ttl.TotalMilliseconds]);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            Unavailable("store", e);
        }

        await fallback.CompleteAsync(key, claim, value, ttl);
    }

    public async Task ReleaseAsync(string key, byte[] claim)
    {
        try
        {
            await (await redis.GetAsync()).GetDatabase().ScriptEvaluateAsync(ReleaseScript, [key], [claim]);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            // The claim expires by itself.
            Unavailable("release", e);
        }

        await fallback.ReleaseAsync(key, claim);
    }

    public async Task ForgetAsync(string key)
    {
        try
        {
            await (await redis.GetAsync()).GetDatabase().KeyDeleteAsync(key);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            Unavailable("delete", e);
        }
    }

    private void Unavailable(string operation, Exception e)
    {
        metrics.Failed("idempotency");
        Log.Unavailable(logger, operation, redis.Describe(e));
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Redis idempotency {Operation} failed ({Error}); this request is protected on this replica only")]
        public static partial void Unavailable(ILogger logger, string operation, string error);
    }
}

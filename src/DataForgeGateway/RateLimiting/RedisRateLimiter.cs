using DataForgeGateway.Primitives;
using DataForgeGateway.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// The shared limiter: every bucket of a request is checked and charged in one atomic Lua script (one EVALSHA,
/// one round trip), so a limit of N admits exactly N across all replicas. Keys expire when their bucket is full
/// again, so idle callers cost Redis nothing.
/// </summary>
internal sealed class RedisRateLimiter(RedisConnection redis, IOptions<RedisOptions> options)
{
    // KEYS: the buckets (one hash slot: they share the caller's {tag}). ARGV: per bucket its interval (µs) and
    // burst. Returns 1 if admitted, then per bucket: admitted, remaining, retry-after, reset.
    // "Now" is Redis's own clock, not the replica's: replicas whose clocks disagree still share one limit.
    private const string Script =
        """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local admitted = 1
        local out = {}
        local tats = {}
        for i, key in ipairs(KEYS) do
          local interval = tonumber(ARGV[2 * i - 1])
          local burst = tonumber(ARGV[2 * i])
          local tat = tonumber(redis.call('GET', key) or now)
          if tat < now then tat = now end
          local nxt = tat + interval
          local allow_at = nxt - burst * interval
          if allow_at > now then
            admitted = 0
            out[#out + 1] = 0; out[#out + 1] = 0; out[#out + 1] = allow_at - now; out[#out + 1] = tat - now
          else
            tats[i] = nxt
            out[#out + 1] = 1; out[#out + 1] = math.floor((now - allow_at) / interval); out[#out + 1] = 0; out[#out + 1] = nxt - now
          end
        end
        if admitted == 1 then
          for i, key in ipairs(KEYS) do
            redis.call('SET', key, string.format('%.0f', tats[i]), 'PX', math.max(1, math.ceil((tats[i] - now) / 1000)))
          end
        else
          for i = 1, #KEYS do
            if out[4 * i - 3] == 1 then out[4 * i - 2] = out[4 * i - 2] + 1 end
          end
        end
        table.insert(out, 1, admitted)
        return out
        """;

    /// <summary>A failure as the logs give it: endpoint and cause, no password.</summary>
    public string Describe(Exception e) => redis.Describe(e);

    public async Task<BucketState[]> DecideAsync(string caller, BucketLimit[] limits)
    {
        var prefix = options.Value.InstanceName;
        var keys = new RedisKey[limits.Length];
        var arguments = new RedisValue[limits.Length * 2];
        for (var i = 0; i < limits.Length; i++)
        {
            keys[i] = $"{prefix}ratelimit:{{{caller}}}:{limits[i].Name}";
            arguments[2 * i] = limits[i].IntervalMicros;
            arguments[(2 * i) + 1] = limits[i].Burst;
        }

        // StackExchange.Redis sends the script once and EVALSHA after that.
        var database = (await redis.GetAsync()).GetDatabase();
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(Script, keys, arguments))!;
        var states = new BucketState[limits.Length];
        for (var i = 0; i < limits.Length; i++)
        {
            var offset = 1 + (4 * i);
            states[i] = new BucketState((long)result[offset] == 1, (long)result[offset + 1], (long)result[offset + 2], (long)result[offset + 3]);
        }

        return states;
    }
}

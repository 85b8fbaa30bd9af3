using System.Runtime.CompilerServices;
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

    // A lease: up to ARGV[1] permits of every bucket at once (as many as the fullest-spent bucket allows), after
    // giving back ARGV[2] permits of an expired lease. KEYS and the rest of ARGV as above. Returns the permits
    // granted, then per bucket: remaining, retry-after (when none was granted), reset.
    private const string LeaseScript =
        """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local want = tonumber(ARGV[1])
        local returned = tonumber(ARGV[2])
        local tats = {}
        local grant = want
        for i, key in ipairs(KEYS) do
          local interval = tonumber(ARGV[2 * i + 1])
          local burst = tonumber(ARGV[2 * i + 2])
          local tat = tonumber(redis.call('GET', key) or now) - returned * interval
          if tat < now then tat = now end
          tats[i] = tat
          local avail = math.floor((now + burst * interval - tat) / interval)
          if avail < grant then grant = avail end
        end
        if grant < 0 then grant = 0 end
        local out = {grant}
        for i, key in ipairs(KEYS) do
          local interval = tonumber(ARGV[2 * i + 1])
          local burst = tonumber(ARGV[2 * i + 2])
          local tat = tats[i] + grant * interval
          if grant > 0 or returned > 0 then
            redis.call('SET', key, string.format('%.0f', tat), 'PX', math.max(1, math.ceil((tat - now) / 1000)))
          end
          local retry = 0
          if grant == 0 then
            retry = tat + interval - burst * interval - now
            if retry < 0 then retry = 0 end
          end
          out[#out + 1] = math.floor((now + burst * interval - tat) / interval)
          out[#out + 1] = retry
          out[#out + 1] = tat - now
        end
        return out
        """;

    private readonly ConditionalWeakTable<BucketSet, Shape> _shapes = [];
    private ConditionalWeakTable<BucketSet, Shape>.CreateValueCallback? _build;

    /// <summary>
    /// Leases up to <paramref name="want"/> permits of every bucket in one atomic step, giving back
    /// <paramref name="returned"/> unspent ones first. The permits granted (0: none) and each bucket's state after.
    /// </summary>
    public async Task<(int Granted, BucketStates States)> LeaseAsync(BucketSet buckets, int want, int returned)
    {
        var shape = ShapeOf(buckets);
        var arguments = new RedisValue[2 + shape.Arguments.Length];
        arguments[0] = want;
        arguments[1] = returned;
        shape.Arguments.CopyTo(arguments, 2);

        var database = (await redis.GetAsync()).GetDatabase();
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(LeaseScript, shape.Keys, arguments))!;
        var granted = (int)(long)result[0];
        var states = default(BucketStates);
        for (var i = 0; i < shape.Keys.Length; i++)
        {
            var offset = 1 + (3 * i);
            var retry = (long)result[offset + 1];
            states[i] = new BucketState(granted > 0 || retry == 0, (long)result[offset], retry, (long)result[offset + 2]);
        }

        return (granted, states);
    }

    /// <summary>A failure as the logs give it: endpoint and cause, no password.</summary>
    public string Describe(Exception e) => redis.Describe(e);

    public async Task<BucketStates> DecideAsync(BucketSet buckets)
    {
        // StackExchange.Redis sends the script once and EVALSHA after that.
        var shape = ShapeOf(buckets);
        var database = (await redis.GetAsync()).GetDatabase();
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(Script, shape.Keys, shape.Arguments))!;
        var states = default(BucketStates);
        for (var i = 0; i < shape.Keys.Length; i++)
        {
            var offset = 1 + (4 * i);
            states[i] = new BucketState((long)result[offset] == 1, (long)result[offset + 1], (long)result[offset + 2], (long)result[offset + 3]);
        }

        return states;
    }

    /// <summary>A bucket set's keys and per-bucket arguments (interval, burst), built once per set.</summary>
    private Shape ShapeOf(BucketSet buckets) => _shapes.GetValue(buckets, _build ??= Build);

    private Shape Build(BucketSet buckets)
    {
        var prefix = options.Value.InstanceName;
        var limits = buckets.Limits;
        var keys = new RedisKey[limits.Length];
        var arguments = new RedisValue[limits.Length * 2];
        for (var i = 0; i < limits.Length; i++)
        {
            keys[i] = $"{prefix}ratelimit:{{{buckets.Caller}}}:{limits[i].Name}";
            arguments[2 * i] = limits[i].IntervalMicros;
            arguments[(2 * i) + 1] = limits[i].Burst;
        }

        return new Shape(keys, arguments);
    }

    /// <summary>The keys (one hash slot: they share the caller's {tag}) and the interval and burst of each bucket.</summary>
    private sealed record Shape(RedisKey[] Keys, RedisValue[] Arguments);
}

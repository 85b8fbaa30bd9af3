using DataForgeGateway.Primitives;
using DataForgeGateway.Redis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataForgeGateway.Tokens;

/// <summary>
/// The Redis parts of the token sequence (<see cref="RedisTokenStore"/> puts them in order): the value through
/// <see cref="IDistributedCache"/>, encrypted; a <c>SET NX PX</c> lock so one replica fetches; a failure marker and
/// a pub/sub message so the others read its token, or its failure, at once. Redis down or slow costs a logged
/// warning and the per-replica fallback, never a failed request.
/// </summary>
internal sealed partial class RedisTokenCache(
    RedisConnection redis,
    IOptions<RedisOptions> redisOptions,
    LiveOptions<TokenOptions> tokenOptions,
    TimeProvider clock,
    RedisMetrics metrics,
    ILogger<RedisTokenCache> logger)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    // One reference, replaced whole: a reader never pairs one connection's generation with another's cache.
    private volatile CacheOfConnection? _cache;

    // Compare-and-delete: a holder whose lock expired must not release the next holder's.
    private const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    public async Task<AccessToken?> GetAsync(TokenScope scope, CancellationToken cancellationToken)
    {
        byte[]? stored;
        try
        {
            stored = await Cache().GetAsync(scope.CacheKey, cancellationToken);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e, cancellationToken))
        {
            Unavailable("read", redis.Describe(e));
            return null;
        }

        var plaintext = stored is null ? null : StoredValueCipher.Unprotect(stored, scope.EncryptionKey, scope.CacheKey);
        return plaintext is null ? null : TokenCodec.Decode(plaintext, scope.SafetyMargin);
    }

    public async Task SetAsync(TokenScope scope, AccessToken token, CancellationToken cancellationToken)
    {
        var lifetime = token.ExpiresAt - clock.GetUtcNow();
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            var value = StoredValueCipher.Protect(TokenCodec.Encode(token), scope.EncryptionKey, scope.CacheKey);
            await Cache().SetAsync(scope.CacheKey, value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = lifetime }, cancellationToken);
            var connection = await redis.GetAsync();
            await connection.GetSubscriber().PublishAsync(Channel(scope), "stored");
        }
        catch (Exception e) when (RedisConnection.IsFailure(e, cancellationToken))
        {
            Unavailable("write", redis.Describe(e));
        }
    }

    public async Task<TokenLease?> TryLockAsync(TokenScope scope, CancellationToken cancellationToken)
    {
        try
        {
            var database = (await redis.GetAsync()).GetDatabase();
            var lockKey = new RedisKey(LockKey(scope));
            var owner = Guid.NewGuid().ToString("N");
            var acquired = await database.StringSetAsync(lockKey, owner, tokenOptions.Current.LockTimeout, When.NotExists);
            return new TokenLease(acquired, acquired ? () => ReleaseAsync(database, lockKey, owner) : null);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e, cancellationToken))
        {
            Unavailable("lock", redis.Describe(e));
            return null;
        }
    }

    public async Task<SharedWait> WaitForTokenAsync(TokenScope scope, Func<AccessToken, bool> accept, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ChannelMessageQueue? messages = null;
        try
        {
            var news = new SemaphoreSlim(0);
            TimeSpan? failedRetryAfter = null;
            messages = await (await redis.GetAsync()).GetSubscriber().SubscribeAsync(Channel(scope));
            messages.OnMessage(message =>
            {
                if (ParseFailure(message.Message) is { } retryAfter)
                {
                    failedRetryAfter = Capped(retryAfter, retryAfter);
                }

                news.Release();
            });
            // Bounded in polls, not by reading a clock: at most timeout / PollInterval looks (a message only makes a
            // look come sooner), so a test's clock that stands still cannot make the wait endless, and no clock but
            // the injected one is read.
            for (var looks = Math.Max(1, (int)Math.Ceiling(timeout / PollInterval)); looks > 0; looks--)
            {
                // Read after subscribing: a token stored in between is not missed.
                if (await GetAsync(scope, cancellationToken) is { } token && accept(token))
                {
                    return new SharedWait(token, null);
                }

                if ((failedRetryAfter ?? await RecentFailureAsync(scope, cancellationToken)) is { } wait)
                {
                    return new SharedWait(null, wait);
                }

                // A message wakes us at once; the poll covers a message lost to a reconnect.
                await news.WaitAsync(PollInterval, cancellationToken);
            }

            return SharedWait.TimedOut;
        }
        catch (Exception e) when (RedisConnection.IsFailure(e, cancellationToken))
        {
            Unavailable("wait", redis.Describe(e));
            return SharedWait.TimedOut;
        }
        finally
        {
            if (messages is not null)
            {
                await UnsubscribeAsync(messages);
            }
        }
    }

    /// <summary>Stops listening; a Redis that stopped answering meanwhile must not fail the request that waited.</summary>
    private async Task UnsubscribeAsync(ChannelMessageQueue messages)
    {
        try
        {
            await messages.UnsubscribeAsync();
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            Unavailable("unsubscribe", redis.Describe(e));
        }
    }

    public async Task PublishFailureAsync(TokenScope scope, TimeSpan retryAfter)
    {
        if (retryAfter <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            var connection = await redis.GetAsync();
            retryAfter = tokenOptions.Current.AtMostRetryMaxDelay(retryAfter);
            var milliseconds = (long)retryAfter.TotalMilliseconds;
            await connection.GetDatabase().StringSetAsync(FailureKey(scope), milliseconds, retryAfter);
            await connection.GetSubscriber().PublishAsync(Channel(scope), $"{FailedPrefix}{milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            Unavailable("publish", redis.Describe(e));
        }
    }

    public async Task<TimeSpan?> RecentFailureAsync(TokenScope scope, CancellationToken cancellationToken)
    {
        try
        {
            var marker = await (await redis.GetAsync()).GetDatabase().StringGetWithExpiryAsync(FailureKey(scope));
            return marker.Expiry is { } remaining ? Capped(marker.Value, remaining) : null;
        }
        catch (Exception e) when (RedisConnection.IsFailure(e, cancellationToken))
        {
            Unavailable("read", redis.Describe(e));
            return null;
        }
    }

    private const string FailedPrefix = "failed:";

    /// <summary>
    /// What is left of another replica's back-off, honoured up to <see cref="TokenOptions.RetryMaxDelay"/> from
    /// when it was set: a marker left by a replica with other settings (or asking for ten minutes) holds nobody longer.
    /// </summary>
    private TimeSpan? Capped(RedisValue setFor, TimeSpan remaining) =>
        Capped(long.TryParse(setFor.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : remaining, remaining);

    private TimeSpan? Capped(TimeSpan setFor, TimeSpan remaining)
    {
        var elapsed = setFor > remaining ? setFor - remaining : TimeSpan.Zero;
        var left = tokenOptions.Current.AtMostRetryMaxDelay(setFor) - elapsed;
        return left > TimeSpan.Zero ? left : null;
    }

    private static TimeSpan? ParseFailure(RedisValue message) =>
        message.ToString() is { } text && text.StartsWith(FailedPrefix, StringComparison.Ordinal)
        && long.TryParse(text.AsSpan(FailedPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : null;

    private async Task ReleaseAsync(IDatabase database, RedisKey lockKey, string owner)
    {
        try
        {
            await database.ScriptEvaluateAsync(ReleaseScript, [lockKey], [owner]);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            // The lock expires by itself.
            Unavailable("unlock", redis.Describe(e));
        }
    }

    /// <summary>The distributed cache over the current connection: a new one after a rotated connection string.</summary>
    private IDistributedCache Cache()
    {
        var generation = redis.Generation;
        if (_cache is { } current && current.Generation == generation)
        {
            return current.Cache;
        }

        var cache = new RedisCache(new RedisCacheOptions { InstanceName = redisOptions.Value.InstanceName, ConnectionMultiplexerFactory = redis.GetAsync });
        _cache = new CacheOfConnection(generation, cache);
        return cache;
    }

    private sealed record CacheOfConnection(int Generation, IDistributedCache Cache);

    private string LockKey(TokenScope scope) => $"{redisOptions.Value.InstanceName}{scope.CacheKey}:lock";

    private string FailureKey(TokenScope scope) => $"{redisOptions.Value.InstanceName}{scope.CacheKey}:failed";

    private RedisChannel Channel(TokenScope scope) => RedisChannel.Literal($"{redisOptions.Value.InstanceName}{scope.CacheKey}:stored");

    private void Unavailable(string operation, string error)
    {
        metrics.Failed("tokens");
        Log.SharedCacheUnavailable(logger, operation, error);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Redis token {Operation} failed ({Error}); this replica goes on with its own cache")]
        public static partial void SharedCacheUnavailable(ILogger logger, string operation, string error);
    }
}

/// <summary>What waiting on another replica's token request came to.</summary>
/// <param name="Token">The token it stored, if it did.</param>
/// <param name="FailedRetryAfter">When its request failed: how long to back off.</param>
internal readonly record struct SharedWait(AccessToken? Token, TimeSpan? FailedRetryAfter)
{
    public static SharedWait TimedOut => default;
}

/// <summary>The cross-replica lock, released when disposed (if this replica holds it).</summary>
internal sealed class TokenLease(bool acquired, Func<Task>? release) : IAsyncDisposable
{
    public bool Acquired { get; } = acquired;

    public async ValueTask DisposeAsync()
    {
        if (release is not null)
        {
            await release();
        }
    }
}

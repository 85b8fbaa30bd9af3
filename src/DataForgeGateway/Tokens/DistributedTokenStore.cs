using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace DataForgeGateway.Tokens;

/// <summary>
/// Keeps tokens in an <see cref="IDistributedCache"/> (Redis) so every replica reuses one token. A Redis that is
/// down or slow costs a logged warning and a miss, never a failed request.
/// </summary>
internal sealed partial class DistributedTokenStore(IDistributedCache cache, TimeProvider clock, ILogger<DistributedTokenStore> logger) : ISharedTokenStore
{
    private const byte Format = 1;
    private const int HeaderLength = 1 + 8 + 8;

    public async Task<AccessToken?> GetAsync(string key, TimeSpan safetyMargin, CancellationToken cancellationToken)
    {
        byte[]? stored;
        try
        {
            stored = await cache.GetAsync(key, cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Log.SharedCacheUnavailable(logger, "read", e.GetType().Name);
            return null;
        }

        return stored is null ? null : Decode(stored, safetyMargin);
    }

    public async Task SetAsync(string key, AccessToken token, CancellationToken cancellationToken)
    {
        var entry = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = token.ExpiresAt - clock.GetUtcNow() };
        if (entry.AbsoluteExpirationRelativeToNow <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await cache.SetAsync(key, Encode(token), entry, cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Log.SharedCacheUnavailable(logger, "write", e.GetType().Name);
        }
    }

    internal static byte[] Encode(AccessToken token)
    {
        var value = Encoding.UTF8.GetBytes(token.Value);
        var bytes = new byte[HeaderLength + value.Length];
        bytes[0] = Format;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1), token.IssuedAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(9), token.ExpiresAt.ToUnixTimeMilliseconds());
        value.CopyTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }

    /// <summary>A value this version cannot read is a miss: it gets replaced by a fresh token.</summary>
    internal static AccessToken? Decode(byte[] bytes, TimeSpan safetyMargin)
    {
        if (bytes.Length <= HeaderLength || bytes[0] != Format)
        {
            return null;
        }

        try
        {
            var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(1)));
            var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(9)));
            var value = new UTF8Encoding(false, true).GetString(bytes, HeaderLength, bytes.Length - HeaderLength);
            return expiresAt > issuedAt ? new AccessToken(value, issuedAt, expiresAt, safetyMargin) : null;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or DecoderFallbackException)
        {
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Shared token cache {Operation} failed ({Error}); using the in-process cache")]
        public static partial void SharedCacheUnavailable(ILogger logger, string operation, string error);
    }
}

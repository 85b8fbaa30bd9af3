using System.Collections.Frozen;
using System.Security.Claims;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Callers;

/// <summary>What checking a presented key came to.</summary>
internal enum KeyCheck
{
    Valid,
    Malformed,
    Unknown,
    Expired,
    NotYetValid,
}

/// <summary>
/// Finds the caller a key belongs to: a <c>dfgw_</c> key by its key id, then a constant-time comparison of its
/// hash; a key configured by hash alone by its hash. Rebuilt when the configured callers change (keys added,
/// revoked, permissions changed), without a restart.
/// </summary>
internal sealed class CallerDirectory(LiveOptions<CallersOptions> options)
{
    private volatile Directory? _directory;

    /// <param name="apiKey">The key as presented.</param>
    /// <param name="connection">The last key the request's connection presented and its hash, reused when this is the same key (null: hashed here).</param>
    /// <param name="now">The time its validity window is checked against.</param>
    /// <param name="caller">The key's caller when it is valid.</param>
    public KeyCheck Check(string apiKey, LastPresentedKey? connection, DateTimeOffset now, out ClaimsPrincipal? caller)
    {
        caller = null;
        if (apiKey.Length is 0 or > KeyDigest.MaxKeyLength)
        {
            return KeyCheck.Unknown;
        }

        // Built from the options in force: a request that sees a reload sees its keys, never the ones before.
        var current = options.Current;
        var directory = _directory;
        if (directory is null || !ReferenceEquals(directory.Source, current))
        {
            _directory = directory = Build(current);
        }

        var digest = connection?.DigestOf(apiKey) ?? KeyDigest.Compute(apiKey);
        Entry? entry;
        switch (ApiKeyFormat.Inspect(apiKey, out var keyId))
        {
            case KeyShape.Malformed:
                return KeyCheck.Malformed;
            case KeyShape.Valid when directory.ById.TryGetValue(keyId, out var byId):
                entry = byId.Digest.FixedTimeEquals(digest) ? byId : null;
                break;
            default:
                entry = directory.ByDigest.GetValueOrDefault(digest);
                break;
        }

        // The key's window is told only to whoever holds the key itself.
        if (entry is null)
        {
            return KeyCheck.Unknown;
        }

        if (entry.NotBefore is { } notBefore && now < notBefore)
        {
            return KeyCheck.NotYetValid;
        }

        if (entry.Expires is { } expires && now >= expires)
        {
            return KeyCheck.Expired;
        }

        caller = entry.Principal;
        return KeyCheck.Valid;
    }

    private static Directory Build(CallersOptions options)
    {
        var byId = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var byDigest = new Dictionary<KeyDigest, Entry>();
        foreach (var (caller, settings) in options.Callers)
        {
            foreach (var key in settings.Keys)
            {
                if (!KeyDigest.TryParse(key.Sha256, out var digest))
                {
                    continue;
                }

                var keyId = key.Id is { Length: > 0 } id ? id : null;
                var entry = new Entry(digest, key.NotBefore, key.Expires, new CallerPrincipal(new CallerIdentity(settings.Name ?? caller, keyId, settings)));
                byDigest.TryAdd(digest, entry);
                if (keyId is not null)
                {
                    byId.TryAdd(keyId, entry);
                }
            }
        }

        return new Directory(options, byId.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>(), byDigest.ToFrozenDictionary());
    }

    /// <summary>One configured key. Its principal is shared by every request: never modify it.</summary>
    private sealed record Entry(KeyDigest Digest, DateTimeOffset? NotBefore, DateTimeOffset? Expires, ClaimsPrincipal Principal);

    private sealed record Directory(CallersOptions Source, FrozenDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> ById, FrozenDictionary<KeyDigest, Entry> ByDigest);
}

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
    /// <param name="connection">The last key the request's connection presented, its hash and what it was found to be, reused when this is the same key (null: looked up here).</param>
    /// <param name="now">The time its validity window is checked against.</param>
    /// <param name="caller">The key's caller when it is valid.</param>
    public KeyCheck Check(string apiKey, LastPresentedKey? connection, DateTimeOffset now, out ClaimsPrincipal? caller)
    {
        if (apiKey.Length is 0 or > KeyDigest.MaxKeyLength)
        {
            caller = null;
            return KeyCheck.Unknown;
        }

        // Built from the options in force: a request that sees a reload sees its keys, never the ones before.
        var current = options.Current;
        var directory = _directory;
        if (directory is null || !ReferenceEquals(directory.Source, current))
        {
            _directory = directory = Build(current);
        }

        if (connection is null)
        {
            return Admit(Find(directory, apiKey, KeyDigest.Compute(apiKey)), now, out caller);
        }

        // A kept-alive connection presents the same key again and again: what the directory found for it last is
        // reused while that directory is the one in force (a reload builds another). The window is checked anew.
        connection.Present(apiKey);
        if (!ReferenceEquals(connection.Found.In, directory))
        {
            connection.Found = Find(directory, apiKey, connection.Digest);
        }

        return Admit(connection.Found, now, out caller);
    }

    /// <summary>The caller whose workload is <paramref name="subject"/> at the issuer configured as <paramref name="issuer"/>, if any.</summary>
    public ClaimsPrincipal? FindWorkload(string issuer, string subject) =>
        Current().ByWorkload.GetValueOrDefault((issuer, subject));

    /// <summary>Whether <paramref name="text"/> is, as it stands, a key some caller has (any form, by its hash): a key pasted where a key does not go.</summary>
    public bool IsConfiguredKey(ReadOnlySpan<char> text)
    {
        if (text.Length is 0 or > KeyDigest.MaxKeyLength)
        {
            return false;
        }

        var directory = Current();

        // Keys with an id are the gateway's own format, which KeyLikeText sees by its shape: only keys configured
        // by their hash alone need a hash of the text, and most deployments have none.
        return directory.HasKeysByHashAlone && directory.ByDigest.ContainsKey(KeyDigest.Compute(text));
    }

    private Directory Current()
    {
        var current = options.Current;
        var directory = _directory;
        if (directory is null || !ReferenceEquals(directory.Source, current))
        {
            _directory = directory = Build(current);
        }

        return directory;
    }

    /// <summary>The key's entry in <paramref name="directory"/>, if any: by its key id and then its hash, or by its hash alone.</summary>
    private static Found Find(Directory directory, string apiKey, KeyDigest digest)
    {
        switch (ApiKeyFormat.Inspect(apiKey, out var keyId))
        {
            case KeyShape.Malformed:
                return new Found(directory, KeyCheck.Malformed, null);
            case KeyShape.Valid when directory.ById.TryGetValue(keyId, out var byId):
                return byId.Digest.FixedTimeEquals(digest) ? new Found(directory, KeyCheck.Valid, byId) : new Found(directory, KeyCheck.Unknown, null);
            default:
                return directory.ByDigest.GetValueOrDefault(digest) is { } byDigest ? new Found(directory, KeyCheck.Valid, byDigest) : new Found(directory, KeyCheck.Unknown, null);
        }
    }

    /// <summary>A found key within its validity window admits its caller; the window is told only to whoever holds the key itself.</summary>
    private static KeyCheck Admit(in Found found, DateTimeOffset now, out ClaimsPrincipal? caller)
    {
        caller = null;
        if (found.Entry is not { } entry)
        {
            return found.Check;
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
        var byWorkload = new Dictionary<(string, string), ClaimsPrincipal>(WorkloadComparer.Instance);
        foreach (var (caller, settings) in options.Callers)
        {
            foreach (var workload in settings.Workloads)
            {
                byWorkload.TryAdd((workload.Issuer, workload.Subject), new CallerPrincipal(new CallerIdentity(settings.Name ?? caller, null, settings, workload.Subject)));
            }

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

        return new Directory(
            options,
            byId.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>(),
            byDigest.ToFrozenDictionary(),
            byDigest.Count > byId.Count,
            byWorkload.ToFrozenDictionary(WorkloadComparer.Instance));
    }

    /// <summary>What a key came to in one directory: malformed, unknown, or its entry (whose window is checked on each use).</summary>
    internal readonly record struct Found(Directory In, KeyCheck Check, Entry? Entry);

    /// <summary>One configured key. Its principal is shared by every request: never modify it.</summary>
    internal sealed record Entry(KeyDigest Digest, DateTimeOffset? NotBefore, DateTimeOffset? Expires, ClaimsPrincipal Principal);

    internal sealed record Directory(
        CallersOptions Source,
        FrozenDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> ById,
        FrozenDictionary<KeyDigest, Entry> ByDigest,
        bool HasKeysByHashAlone,
        FrozenDictionary<(string Issuer, string Subject), ClaimsPrincipal> ByWorkload);

    /// <summary>Issuer names as configuration compares them (ignoring case); subjects exactly.</summary>
    private sealed class WorkloadComparer : IEqualityComparer<(string Issuer, string Subject)>
    {
        public static readonly WorkloadComparer Instance = new();

        public bool Equals((string Issuer, string Subject) x, (string Issuer, string Subject) y) =>
            string.Equals(x.Subject, y.Subject, StringComparison.Ordinal) && string.Equals(x.Issuer, y.Issuer, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((string Issuer, string Subject) obj) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Issuer), StringComparer.Ordinal.GetHashCode(obj.Subject));
    }
}

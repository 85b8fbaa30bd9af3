using System.Collections.Frozen;
using Microsoft.IdentityModel.Tokens;

namespace DataForgeGateway.WorkloadIdentity;

/// <summary>One issuer's signing keys as last fetched, replaced whole; <see cref="Version"/> changes with every new set.</summary>
internal sealed record KeySet(IReadOnlyList<SecurityKey> Keys, FrozenSet<string> KeyIds, FrozenSet<string> Thumbprints, long Version, DateTimeOffset FetchedAt);

/// <summary>
/// An issuer's keys: the last good set (kept when a fetch fails), fetched in the background and again when a token
/// names a key the set does not hold, at most once per <see cref="WorkloadIdentityOptions.MinRefreshInterval"/>.
/// One fetch at a time: concurrent askers share it.
/// </summary>
internal sealed partial class IssuerKeys(string name, WorkloadIssuerOptions settings, IHttpClientFactory http, TimeProvider clock, ILogger logger)
{
    private static long _versions;

    private readonly Lock _gate = new();
    private volatile KeySet? _current;
    private Task? _fetch;
    private DateTimeOffset _lastFetchStarted = DateTimeOffset.MinValue;
    private DateTimeOffset _lastUnknownKeyFetch = DateTimeOffset.MinValue;
    private DateTimeOffset? _fileWritten;

    public string Name { get; } = name;

    public WorkloadIssuerOptions Settings { get; } = settings;

    /// <summary>The keys last fetched; null until a fetch has succeeded.</summary>
    public KeySet? Current => _current;

    /// <summary>Why the last fetch failed, when it did (cleared by the next success).</summary>
    public string? LastFailure { get; private set; }

    /// <summary>When the last fetch, good or not, finished.</summary>
    public DateTimeOffset? LastAttempt { get; private set; }

    /// <summary>
    /// A token names a key not in the set (or there is no set yet): fetch again unless a token caused a fetch less
    /// than <paramref name="minInterval"/> ago, and wait for the fetch in flight, at most <paramref name="maxWait"/>.
    /// Only fetches that tokens caused count: a replica that fetched at start or in the background still takes an
    /// issuer's new key at once, and a flood of forged tokens still causes one fetch per interval.
    /// </summary>
    public async Task<KeySet?> RefreshForUnknownKeyAsync(TimeSpan minInterval, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var fetch = StartFetch(minInterval, unknownKey: true);
        if (fetch is not null)
        {
            try
            {
                await fetch.WaitAsync(maxWait, clock, cancellationToken);
            }
            catch (TimeoutException)
            {
                // The fetch goes on for the next token; this one is judged on the keys there are.
            }
        }

        return _current;
    }

    /// <summary>The background's turn: a key file is read again when it changed; a URL when <paramref name="interval"/> has passed.</summary>
    public Task RefreshIfDueAsync(TimeSpan interval)
    {
        if (Settings.JwksFile.Length > 0)
        {
            DateTimeOffset? written;
            try
            {
                written = File.GetLastWriteTimeUtc(Settings.JwksFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                written = null;
            }

            if (_current is not null && written == _fileWritten && clock.GetUtcNow() - _lastFetchStarted < interval)
            {
                return Task.CompletedTask;
            }

            return StartFetch(TimeSpan.Zero) ?? Task.CompletedTask;
        }

        return StartFetch(_current is null ? TimeSpan.Zero : interval) ?? Task.CompletedTask;
    }

    /// <summary>
    /// The fetch in flight, or a new one if none of its kind (caused by an unknown key, or any) started within
    /// <paramref name="minInterval"/>; null when neither.
    /// </summary>
    private Task? StartFetch(TimeSpan minInterval, bool unknownKey = false)
    {
        lock (_gate)
        {
            if (_fetch is { IsCompleted: false } running)
            {
                return running;
            }

            var now = clock.GetUtcNow();
            if (now - (unknownKey ? _lastUnknownKeyFetch : _lastFetchStarted) < minInterval)
            {
                return null;
            }

            _lastFetchStarted = now;
            if (unknownKey)
            {
                _lastUnknownKeyFetch = now;
            }

            return _fetch = FetchAsync();
        }
    }

    private async Task FetchAsync()
    {
        await Task.Yield();
        if (Settings.JwksFile.Length > 0)
        {
            try
            {
                _fileWritten = File.GetLastWriteTimeUtc(Settings.JwksFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _fileWritten = null;
            }
        }

        FetchedKeys fetched;
        try
        {
            fetched = await KeySetSource.FetchAsync(Settings, http.CreateClient(WorkloadIdentityExtensions.HttpClientName), CancellationToken.None);
        }
#pragma warning disable CA1031 // a background fetch must never fault: its failure is the answer
        catch (Exception e)
#pragma warning restore CA1031
        {
            fetched = new FetchedKeys(null, $"fetching the keys failed ({e.GetType().Name})");
        }

        LastAttempt = clock.GetUtcNow();
        if (fetched.Keys is { } keys)
        {
            var previous = _current;
            var ids = keys.Select(k => k.KeyId).Where(id => !string.IsNullOrEmpty(id)).ToFrozenSet(StringComparer.Ordinal);
            var thumbprints = keys.Select(k => Base64UrlEncoder.Encode(k.ComputeJwkThumbprint())).ToFrozenSet(StringComparer.Ordinal);
            if (previous is null || !previous.Thumbprints.SetEquals(thumbprints))
            {
                // A new set: tokens validated against the old one are checked again (a key the issuer withdrew stops working).
                _current = new KeySet(keys, ids, thumbprints, Interlocked.Increment(ref _versions), LastAttempt.Value);
                Log.KeysFetched(logger, Name, keys.Count);
            }
            else
            {
                _current = previous with { FetchedAt = LastAttempt.Value };
            }

            LastFailure = null;
        }
        else
        {
            if (LastFailure != fetched.Failure)
            {
                Log.KeysNotFetched(logger, Name, fetched.Failure ?? "no keys", _current is null ? "no workload token of this issuer can be checked" : "the keys fetched before stay in use");
            }

            LastFailure = fetched.Failure;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Workload issuer {Issuer}: {Count} signing keys in use")]
        public static partial void KeysFetched(ILogger logger, string issuer, int count);

        [LoggerMessage(2, LogLevel.Warning, "Workload issuer {Issuer}: its keys could not be fetched ({Failure}); {Consequence}")]
        public static partial void KeysNotFetched(ILogger logger, string issuer, string failure, string consequence);
    }
}

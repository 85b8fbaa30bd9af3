using System.Collections.Concurrent;

namespace DataForge.Sandbox;

/// <summary>One request as DataForge received it, kept so tests can check what the gateway forwarded.</summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string QueryString,
    string Body,
    string? Authorization,
    IReadOnlyDictionary<string, string> Headers,
    int Status);

/// <summary>What reached the sandbox: every call to DataForge and every token it issued.</summary>
public sealed class SandboxRecorder
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, string>> _tokenRequestHeaders = new();
    private long _arrivals;
    private long _apiCalls;
    private long _tokenRequests;
    private long _tokensIssued;

    /// <summary>Every request that reached a DataForge path, answered or not.</summary>
    public long Arrivals => Interlocked.Read(ref _arrivals);

    /// <summary>Calls to the four DataForge routes (not, say, a health probe of the base URL).</summary>
    public long ApiCalls => Interlocked.Read(ref _apiCalls);

    /// <summary>Every call to <c>/oauth/token</c>, whatever its outcome.</summary>
    public long TokenRequests => Interlocked.Read(ref _tokenRequests);

    /// <summary>Tokens the tenant issued: what Auth0 would count against the M2M quota.</summary>
    public long TokensIssued => Interlocked.Read(ref _tokensIssued);

    /// <summary>The DataForge requests that reached one of the four routes, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>The headers of the token requests, oldest first (the last 1,000).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> TokenRequestHeaders => [.. _tokenRequestHeaders];

    /// <summary>A request's headers as recorded: each with its values joined, names in any case.</summary>
    internal static IReadOnlyDictionary<string, string> HeadersOf(HttpRequest request) =>
        request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

    internal void RecordArrival() => Interlocked.Increment(ref _arrivals);

    internal void RecordTokenRequest(HttpRequest request)
    {
        Interlocked.Increment(ref _tokenRequests);
        KeepLast(_tokenRequestHeaders, HeadersOf(request), 1_000);
    }

    internal void RecordTokenIssued() => Interlocked.Increment(ref _tokensIssued);

    internal void Record(RecordedRequest request)
    {
        Interlocked.Increment(ref _apiCalls);
        KeepLast(_requests, request, 10_000);
    }

    /// <summary>Bounded so a long benchmark run cannot grow the sandbox without limit.</summary>
    private static void KeepLast<T>(ConcurrentQueue<T> queue, T item, int most)
    {
        queue.Enqueue(item);
        while (queue.Count > most && queue.TryDequeue(out _))
        {
        }
    }
}

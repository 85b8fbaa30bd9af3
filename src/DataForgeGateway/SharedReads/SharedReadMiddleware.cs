using System.Collections.Concurrent;
using DataForgeGateway.Api;
using DataForgeGateway.Primitives;
using DataForgeGateway.Tokens;

namespace DataForgeGateway.SharedReads;

/// <summary>
/// Identical reads share DataForge's answer. The first of concurrent identical reads (same environment, canonical
/// path and query) goes to DataForge; the others wait for its answer and get it too. With a cache configured, a
/// 200 answer is served again for a few seconds (with <c>Age</c>), through Redis across replicas. Each caller's
/// permissions and limits were checked before this stage; the answer does not depend on the caller. When the
/// first read gets no answer of DataForge's (its caller left, DataForge unreachable), the others ask themselves.
/// </summary>
internal sealed class SharedReadMiddleware(RequestDelegate next, LiveOptions<SharedReadOptions> options, ISharedAnswerCache cache, SharedReadMetrics metrics, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<SharedAnswer?>> _flights = new(StringComparer.Ordinal);

    public Task InvokeAsync(HttpContext context)
    {
        var settings = options.Current;
        if (context.GetDataForgeRoute() is not { Operation.IsRead: true } route
            || context.Features.Get<RequestParameters>() is not { IsValid: true } parameters
            || (!settings.Coalesce && settings.CacheSeconds == 0))
        {
            return next(context);
        }

        return ShareAsync(context, settings, $"{route.Environment}\n{parameters.PathAndQuery()}");
    }

    private async Task ShareAsync(HttpContext context, SharedReadOptions settings, string key)
    {
        if (settings.CacheSeconds > 0 && await cache.GetAsync(key) is { } cached)
        {
            metrics.Served("cached");
            context.Features.Set(SharedRead.Cached);
            await cached.WriteAsync(context, age: clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(cached.StoredAtUnixMs));
            return;
        }

        if (!settings.Coalesce)
        {
            await LeadAsync(context, settings, key, flight: null);
            return;
        }

        var flight = new TaskCompletionSource<SharedAnswer?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leading = _flights.GetOrAdd(key, flight);
        if (ReferenceEquals(leading, flight))
        {
            await LeadAsync(context, settings, key, flight);
            return;
        }

        if (await leading.Task.WaitAsync(context.RequestAborted) is { } answer)
        {
            metrics.Served("shared");
            context.Features.Set(SharedRead.Shared);
            await answer.WriteAsync(context, age: null);
            return;
        }

        await next(context);
    }

    /// <summary>Asks DataForge, keeping its answer for the reads that wait for it and, if configured, for the cache.</summary>
    private async Task LeadAsync(HttpContext context, SharedReadOptions settings, string key, TaskCompletionSource<SharedAnswer?>? flight)
    {
        SharedAnswer? answer = null;
        try
        {
            byte[]? body;
            using (var capture = ResponseCaptureStream.Start(context, settings.MaxBodyBytes))
            {
                await next(context);
                body = capture.Captured;
            }

            if (TokenAttempt.DataForgeAnswered(context) && body is not null)
            {
                answer = SharedAnswer.From(context.Response, body, clock.GetUtcNow());
            }
        }
        finally
        {
            if (flight is not null)
            {
                // Out of the table first: a read arriving after this answer starts a new call (or finds the cache).
                _flights.TryRemove(new KeyValuePair<string, TaskCompletionSource<SharedAnswer?>>(key, flight));
                flight.TrySetResult(answer);
            }
        }

        if (answer is not null && settings.CacheSeconds > 0 && answer.CacheLimit(TimeSpan.FromSeconds(settings.CacheSeconds)) is { } ttl)
        {
            await cache.SetAsync(key, answer, ttl);
        }
    }
}

/// <summary>Set on a read answered with another read's answer: shared while in flight, or from the cache.</summary>
public sealed class SharedRead(string kind)
{
    public static readonly SharedRead Shared = new("shared");
    public static readonly SharedRead Cached = new("cached");

    public string Kind => kind;
}

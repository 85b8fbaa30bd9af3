using System.Collections.Concurrent;
using DataForgeGateway.Answers;
using DataForgeGateway.Api;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.SharedReads;

/// <summary>
/// Identical reads share DataForge's answer. The first of concurrent identical reads (same environment, canonical
/// path and query, and the same <c>Accept</c> and <c>Accept-Language</c>, the request headers DataForge is sent that
/// could change its answer) goes to DataForge; the others wait for its answer and get it too, as soon as DataForge has
/// sent it (the first caller's copy is held until then, so a slow reader holds nobody up), each for at most
/// <see cref="SharedReadOptions.MaxWait"/> before it asks DataForge itself. An answer that <c>Vary</c>s on anything else is not shared. With a cache configured, a
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

        return ShareAsync(context, settings, Key(route.Environment, parameters.PathAndQuery(), context.Request.Headers));
    }

    /// <summary>What makes two reads identical: environment, canonical path and query, and the negotiation headers forwarded (<see cref="SharedAnswer.VariesOn"/>).</summary>
    internal static string Key(string environment, string pathAndQuery, IHeaderDictionary headers) =>
        $"{environment}\n{pathAndQuery}\n{headers.Accept}\n{headers.AcceptLanguage}";

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

        if (await WaitAsync(leading.Task, settings.MaxWait, context.RequestAborted) is { } answer)
        {
            metrics.Served("shared");
            context.Features.Set(SharedRead.Shared);
            await answer.WriteAsync(context, age: null);
            return;
        }

        await next(context);
    }

    /// <summary>The leading read's answer, or null when it has none or it took longer than <paramref name="wait"/>.</summary>
    private async Task<SharedAnswer?> WaitAsync(Task<SharedAnswer?> leading, TimeSpan wait, CancellationToken aborted)
    {
        try
        {
            return await leading.WaitAsync(wait, clock, aborted);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Asks DataForge, keeping its answer for the reads that wait for it and, if configured, for the cache.</summary>
    private async Task LeadAsync(HttpContext context, SharedReadOptions settings, string key, TaskCompletionSource<SharedAnswer?>? flight)
    {
        SharedAnswer? answer = null;
        using var capture = ResponseCaptureStream.Hold(context, settings.MaxBodyBytes, overflowed: () => Land(key, flight, null));
        try
        {
            await next(context);
            if (KeptAnswer.IsDataForgesOwn(context) && capture.Captured is { } body)
            {
                answer = SharedAnswer.From(context.Response, body, clock.GetUtcNow());
            }
        }
        finally
        {
            Land(key, flight, answer);
        }

        // The waiting reads have it: now this caller gets it, as fast as it reads.
        try
        {
            await capture.ReleaseAsync(context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // this caller left; the answer still serves the others and the cache
        }
        if (answer is not null && settings.CacheSeconds > 0 && answer.CacheLimit(TimeSpan.FromSeconds(settings.CacheSeconds)) is { } ttl)
        {
            await cache.SetAsync(key, answer, ttl);
        }
    }

    /// <summary>Out of the table first (a read arriving after this starts a new call, or finds the cache), then the waiters have the answer.</summary>
    private void Land(string key, TaskCompletionSource<SharedAnswer?>? flight, SharedAnswer? answer)
    {
        if (flight is not null)
        {
            _flights.TryRemove(new KeyValuePair<string, TaskCompletionSource<SharedAnswer?>>(key, flight));
            flight.TrySetResult(answer);
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

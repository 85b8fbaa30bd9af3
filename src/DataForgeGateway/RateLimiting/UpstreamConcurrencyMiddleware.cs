using DataForgeGateway.Api;
using System.Threading.RateLimiting;
using DataForgeGateway.Primitives;
using DataForgeGateway.Problems;
using DataForgeGateway.Settings;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// Protects DataForge: at most <c>MaxConcurrentRequests</c> requests in flight to an environment, with a bounded
/// queue in front (<c>MaxQueuedRequests</c>, waiting at most <c>QueueTimeout</c>). Each caller may hold at most
/// <c>MaxCallerShare</c> of the slots and of the queue, so one caller's flood leaves room for the others. Beyond
/// that the caller gets 503 with <c>Retry-After</c> at once, rather than DataForge a pile-up.
/// </summary>
internal sealed class UpstreamConcurrencyMiddleware(RequestDelegate next, UpstreamConcurrencyLimits limits, LiveOptions<GatewayOptions> gateway)
{
    public Task InvokeAsync(HttpContext context)
    {
        var environment = context.GetDataForgeRoute()?.Environment ?? "";
        var settings = gateway.Current.Environments[environment];
        var caller = context.User.Identity?.Name ?? "";
        var (shared, own) = limits.For(environment, caller);

        // The common case, a free slot of the caller's and of the environment's, costs no timer and no wait.
        var ownLease = own.AttemptAcquire(1);
        if (ownLease.IsAcquired)
        {
            var lease = shared.AttemptAcquire(1);
            if (lease.IsAcquired)
            {
                // Released when the request is over (its response written or abandoned), with no async step here.
                context.Response.RegisterForDispose(lease);
                context.Response.RegisterForDispose(ownLease);
                return next(context);
            }

            lease.Dispose();
        }

        return QueueThenForwardAsync(context, environment, settings, shared, own, ownLease);
    }

    private async Task QueueThenForwardAsync(
        HttpContext context, string environment, DataForgeEnvironmentOptions settings, ConcurrencyLimiter shared, ConcurrencyLimiter own, RateLimitLease ownLease)
    {
        // One deadline for both waits: the caller's own queue, then the environment's.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        wait.CancelAfter(settings.QueueTimeout);
        if (!ownLease.IsAcquired)
        {
            ownLease.Dispose();
            ownLease = await QueueAsync(own, wait.Token, context.RequestAborted);
        }

        var lease = ownLease.IsAcquired ? await QueueAsync(shared, wait.Token, context.RequestAborted) : FailedLease.Instance;
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            ownLease.Dispose();
            await context.WriteProblemAsync(
                GatewayProblem.UpstreamBusy,
                $"Environment '{environment}' has too many requests in flight and queued, from this caller or from all. Retry shortly.",
                TimeSpan.FromSeconds(1));
            return;
        }

        context.Response.RegisterForDispose(lease);
        context.Response.RegisterForDispose(ownLease);
        await next(context);
    }

    private static async Task<RateLimitLease> QueueAsync(ConcurrencyLimiter limiter, CancellationToken wait, CancellationToken aborted)
    {
        try
        {
            return await limiter.AcquireAsync(1, wait);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return FailedLease.Instance;
        }
    }

    private sealed class FailedLease : RateLimitLease
    {
        public static readonly FailedLease Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}

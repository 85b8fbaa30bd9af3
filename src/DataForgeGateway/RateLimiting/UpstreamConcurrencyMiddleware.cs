using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using DataForgeGateway.Hosting;
using DataForgeGateway.Problems;
using DataForgeGateway.Routing;
using Yarp.ReverseProxy.Model;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// Protects DataForge: at most <c>MaxConcurrentRequests</c> requests in flight to an environment, with a bounded
/// queue in front (<c>MaxQueuedRequests</c>, waiting at most <c>QueueTimeout</c>). Beyond that the caller gets 503
/// with <c>Retry-After</c> at once, rather than DataForge a pile-up.
/// </summary>
internal sealed class UpstreamConcurrencyMiddleware(RequestDelegate next, UpstreamConcurrencyLimits limits, LiveOptions<GatewayOptions> gateway)
{
    public Task InvokeAsync(HttpContext context)
    {
        var environment = RouteMetadata.EnvironmentOf(context.GetReverseProxyFeature().Route.Config) ?? "";
        var settings = gateway.Current.Environments[environment];
        var limiter = limits.For(environment, settings);

        // The common case, a free slot, costs no timer and no wait; only a full cap queues.
        var lease = limiter.AttemptAcquire(1);
        if (lease.IsAcquired)
        {
            // Released when the request is over (its response written or abandoned), with no async step here.
            context.Response.RegisterForDispose(lease);
            return next(context);
        }

        lease.Dispose();
        return QueueThenForwardAsync(context, environment, settings, limiter);
    }

    private async Task QueueThenForwardAsync(HttpContext context, string environment, DataForgeEnvironmentOptions settings, ConcurrencyLimiter limiter)
    {
        var lease = await QueueAsync(limiter, settings.QueueTimeout, context.RequestAborted);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            await context.WriteProblemAsync(
                GatewayProblem.UpstreamBusy,
                $"Environment '{environment}' has {settings.MaxConcurrentRequests} requests in flight and a full queue. Retry shortly.",
                TimeSpan.FromSeconds(1));
            return;
        }

        context.Response.RegisterForDispose(lease);
        await next(context);
    }

    private static async Task<RateLimitLease> QueueAsync(ConcurrencyLimiter limiter, TimeSpan timeout, CancellationToken aborted)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        wait.CancelAfter(timeout);
        try
        {
            return await limiter.AcquireAsync(1, wait.Token);
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

/// <summary>One concurrency limiter per environment, made on first use and remade when the settings change.</summary>
internal sealed class UpstreamConcurrencyLimits : IDisposable
{
    private readonly LiveOptions<GatewayOptions> _gateway;
    private readonly ConcurrentDictionary<string, ConcurrencyLimiter> _limiters = new(StringComparer.Ordinal);

    public UpstreamConcurrencyLimits(LiveOptions<GatewayOptions> gateway)
    {
        _gateway = gateway;
        _gateway.Changed += Forget;
    }

    public ConcurrencyLimiter For(string environment, DataForgeEnvironmentOptions settings) =>
        _limiters.GetOrAdd(environment, static (_, s) => Create(s), settings);

    public void Dispose()
    {
        _gateway.Changed -= Forget;
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
    }

    private static ConcurrencyLimiter Create(DataForgeEnvironmentOptions settings) => new(new ConcurrencyLimiterOptions
    {
        PermitLimit = settings.MaxConcurrentRequests,
        QueueLimit = settings.MaxQueuedRequests,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    // A changed limit takes effect for new requests; those in flight release into the limiter they came from.
    private void Forget(GatewayOptions options) => _limiters.Clear();
}


namespace DataForgeGateway.Settings;

/// <summary>One DataForge environment: where its External API is and how to get a token for it.</summary>
public sealed class DataForgeEnvironmentOptions
{
    /// <summary>Base URL of the environment's API, for example <c>https://stage.api.dataforgedev.com</c>.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>The Auth0 M2M application the gateway gets this environment's tokens from.</summary>
    public Auth0Options Auth0 { get; set; } = new();

    /// <summary>Requests in flight to this environment at once, from this replica; more wait in the queue.</summary>
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>Requests that may wait for a slot; beyond that, 503 at once.</summary>
    public int MaxQueuedRequests { get; set; } = 128;

    /// <summary>How long a request may wait in the queue before it gets 503.</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The share of <see cref="MaxConcurrentRequests"/> and of <see cref="MaxQueuedRequests"/> one caller may hold,
    /// so one caller's flood leaves room for the others (1: no per-caller share).
    /// </summary>
    public double MaxCallerShare { get; set; } = 0.5;

    /// <summary>How long DataForge may keep a forwarded request without a byte of answer before the caller gets 504.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><see cref="UpstreamTimeout"/> for one operation (by name, such as <c>source-pull</c>), where it needs its own.</summary>
    public Dictionary<string, TimeSpan> OperationTimeouts { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The upstream timeout of one operation.</summary>
    internal TimeSpan UpstreamTimeoutOf(string operation) => OperationTimeouts.GetValueOrDefault(operation, UpstreamTimeout);
}

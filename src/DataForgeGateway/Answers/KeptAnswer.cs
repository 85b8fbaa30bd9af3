using DataForgeGateway.Api;
using Yarp.ReverseProxy.Forwarder;

namespace DataForgeGateway.Answers;

/// <summary>What an answer must be to be kept for other requests, by idempotent retries and shared reads alike.</summary>
public static class KeptAnswer
{
    /// <summary>
    /// Whether the response is DataForge's own answer: DataForge answered (<see cref="UpstreamAnswer"/>), not to
    /// refuse the gateway's token, and the answer was not cut short (no forwarding error); so neither a gateway
    /// problem nor a partial body.
    /// </summary>
    public static bool IsDataForgesOwn(HttpContext context) =>
        context.Features.Get<UpstreamAnswer>() is { TokenRefused: false } && context.Features.Get<IForwarderErrorFeature>() is null;
}

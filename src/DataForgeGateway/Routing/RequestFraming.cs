using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace DataForgeGateway.Routing;

/// <summary>
/// The headers that frame a request, read one way only. The gateway forwards plain requests and never switches
/// protocols: an <c>Upgrade</c> (WebSocket, h2c) is ignored, as RFC 9110 §7.8 lets a server do, so the request is
/// forwarded as what it is (its method unchanged) and nothing is tunnelled. Refused (400), since a proxy in front could
/// act on them differently: <c>Connection</c> options other than <c>keep-alive</c>, <c>close</c> and <c>upgrade</c>,
/// and <c>TE</c> other than <c>trailers</c>. Kestrel's leniency of a bare LF ending a line is turned off where the
/// gateway starts (<see cref="Hosting.GatewayHosting"/>).
/// </summary>
internal static class RequestFraming
{
    /// <summary>Why the request's hop-by-hop headers are refused, or null; an upgrade is turned off on the way.</summary>
    public static string? Check(HttpContext context)
    {
        var headers = context.Request.Headers;
        foreach (var option in Tokens(headers.Connection))
        {
            if (!option.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) && !option.Equals("close", StringComparison.OrdinalIgnoreCase) && !option.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
            {
                return "Connection may name only keep-alive or close.";
            }
        }

        foreach (var coding in Tokens(headers.TE))
        {
            if (!coding.Equals("trailers", StringComparison.OrdinalIgnoreCase))
            {
                return "TE may name only trailers.";
            }
        }

        if (headers.ContainsKey(HeaderNames.Upgrade) || context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true })
        {
            headers.Remove(HeaderNames.Upgrade);
            context.Features.Set<IHttpUpgradeFeature>(NotUpgradable.Instance);
        }

        return null;
    }

    private static IEnumerable<string> Tokens(Microsoft.Extensions.Primitives.StringValues values) =>
        values.SelectMany(value => (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    private sealed class NotUpgradable : IHttpUpgradeFeature
    {
        public static readonly NotUpgradable Instance = new();

        public bool IsUpgradableRequest => false;

        public Task<Stream> UpgradeAsync() => throw new InvalidOperationException("The gateway does not switch protocols.");
    }
}

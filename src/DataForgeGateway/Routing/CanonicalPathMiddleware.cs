using DataForgeGateway.Api;
using DataForgeGateway.Problems;
using Microsoft.AspNetCore.Http.Features;

namespace DataForgeGateway.Routing;

/// <summary>
/// Refuses a request target that is not in canonical form, before anything else looks at it: absolute-form
/// targets, dot segments and their encodings (<c>..</c>, <c>%2e%2e</c>), encoded and double-encoded slashes
/// (<c>%2F</c>, <c>%252F</c>), backslashes, doubled slashes, <c>;</c> parameters and control characters. What
/// the gateway routes is then exactly what DataForge receives, and no path can reach outside the four routes.
/// </summary>
internal static class CanonicalPathMiddleware
{
    /// <summary>The route's own words: no key, so no lookup.</summary>
    private static readonly System.Collections.Frozen.FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> RouteWords =
        System.Collections.Frozen.FrozenSet.ToFrozenSet(DataForgeRoute.PathWords, StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();

    public static IApplicationBuilder UseCanonicalPaths(this IApplicationBuilder app)
    {
        var callers = app.ApplicationServices.GetRequiredService<Callers.CallerDirectory>();
        return app.Use(next => context => CheckAsync(context, next, callers));
    }

    private static Task CheckAsync(HttpContext context, RequestDelegate next, Callers.CallerDirectory callers)
    {
        var target = (context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "").AsSpan();
        var query = target.IndexOf('?');
        var path = query < 0 ? target : target[..query];
        if (HoldsKey(path, callers, context.GetDataForgeRoute()?.Environment))
        {
            // A key pasted into the path: refused like one in the query, and the path is never shown anywhere.
            context.Features.Set(SecretInPath.Instance);
            context.Response.Headers.WWWAuthenticate = Callers.ApiKeyMiddleware.Challenge;
            return context.WriteProblemAsync(GatewayProblem.ApiKeyInPath, "Send the key in the X-Api-Key header only, and treat the one you sent as leaked: rotate it.");
        }

        if (WhyNotCanonical(path) is { } reason)
        {
            return context.WriteProblemAsync(GatewayProblem.PathNotCanonical, reason);
        }

        if (RequestFraming.Check(context) is { } hop)
        {
            return context.WriteProblemAsync(GatewayProblem.InvalidRequest, hop);
        }

        // Methods are case-sensitive (RFC 9110 §9.1): routing matches "post" to POST, and it is not the same method.
        if (context.GetDataForgeRoute() is { } route && !string.Equals(context.Request.Method, route.Operation.Method, StringComparison.Ordinal))
        {
            context.Response.Headers.Allow = route.Operation.Method;
            return context.WriteProblemAsync(GatewayProblem.MethodNotAllowed, $"This operation takes {route.Operation.Method} (methods are case-sensitive).");
        }

        return next(context);
    }

    internal static string? WhyNotCanonical(ReadOnlySpan<char> path)
    {
        // The name filter is any section of a source name: its segment is decoded once and checked as text.
        if (NameFilter.TrySplit(path, out var prefix, out var filter))
        {
            return WhyNotCanonicalPrefix(prefix[..^1]) ?? NameFilter.Decode(filter, out _);
        }

        return WhyNotCanonicalPrefix(path);
    }

    /// <summary>Whether a segment of the path is a key in any disguise (<see cref="Callers.KeyLikeText"/>); the route's own words are skipped.</summary>
    internal static bool HoldsKey(ReadOnlySpan<char> path, Callers.CallerDirectory callers, string? environment = null)
    {
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (segment.Length > 0 && !RouteWords.Contains(segment) && !segment.Equals(environment, StringComparison.OrdinalIgnoreCase) && Callers.KeyLikeText.IsKeyLike(segment, callers))
            {
                return true;
            }
        }

        return false;
    }

    private static string? WhyNotCanonicalPrefix(ReadOnlySpan<char> path)
    {
        if (!path.StartsWith('/'))
        {
            return "Send the path alone (origin-form), not an absolute URL.";
        }

        if (path.Contains("//", StringComparison.Ordinal) || path.Contains('\\') || path.Contains(';'))
        {
            return "Doubled slashes, backslashes and ';' parameters are not accepted in the path.";
        }

        foreach (var range in path.Split('/'))
        {
            if (path[range] is "." or "..")
            {
                return "Dot segments ('.', '..') are not accepted in the path.";
            }
        }

        for (var i = 0; i < path.Length; i++)
        {
            if (char.IsControl(path[i]))
            {
                return "Control characters are not accepted in the path.";
            }

            if (path[i] == '%' && !IsAllowedEscape(path, i))
            {
                return "Only letters, digits, spaces, '-', '_', '~' and non-ASCII characters may be percent-encoded in the path.";
            }
        }

        return null;
    }

    /// <summary>An escape that decodes to a harmless character: never '/', '\', '.', '%', ';' or a control character.</summary>
    private static bool IsAllowedEscape(ReadOnlySpan<char> path, int index)
    {
        if (index + 2 >= path.Length || !char.IsAsciiHexDigit(path[index + 1]) || !char.IsAsciiHexDigit(path[index + 2]))
        {
            return false;
        }

        var value = (byte)((HexValue(path[index + 1]) << 4) | HexValue(path[index + 2]));
        return value >= 0x80 || char.IsAsciiLetterOrDigit((char)value) || value is (byte)' ' or (byte)'-' or (byte)'_' or (byte)'~';
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

using System.Buffers;
using DataForgeGateway.Problems;
using Microsoft.AspNetCore.WebUtilities;

namespace DataForgeGateway.Callers;

/// <summary>
/// Who is calling: the API key in <c>X-Api-Key</c> is looked up and, when valid, the caller becomes the request's
/// user. Nothing is refused here (an unknown path is 404 whoever asks); <see cref="CallerPermissionMiddleware"/>
/// refuses a DataForge route to a request without a valid key, saying what was wrong with it. The key itself is
/// never logged, echoed or stored.
/// </summary>
/// <remarks>
/// Not ASP.NET Core's authentication and authorization middleware: with one scheme and one policy they cost a
/// request scope, a handler and a policy evaluation per request, a fifth of the gateway's allocations, for
/// nothing this check needs.
/// </remarks>
internal sealed class ApiKeyMiddleware(RequestDelegate next, CallerDirectory callers, TimeProvider clock)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    /// <summary>The <c>WWW-Authenticate</c> of every 401: how to send a key.</summary>
    public const string Challenge = $"{SchemeName} realm=\"dataforge-gateway\", header=\"{HeaderName}\"";

    /// <summary>Query parameter names that can only mean a key was put where logs and DataForge would see it.</summary>
    private static readonly string[] KeyLikeParameters = ["api_key", "apikey", "api-key", "x-api-key"];

    /// <summary>The prefix of the gateway's keys, in any case: a vectorised search of the query, once a request.</summary>
    private static readonly SearchValues<string> KeyPrefix = SearchValues.Create([ApiKeyFormat.Prefix], StringComparison.OrdinalIgnoreCase);

    public Task InvokeAsync(HttpContext context)
    {
        if (Authenticate(context, out var caller) is { } problem)
        {
            context.Features.Set(new CredentialRefusal(problem));
        }
        else if (caller is not null)
        {
            context.User = caller;
        }

        return next(context);
    }

    /// <summary>What is wrong with the request's key, or null with the caller (or none, when no key was sent).</summary>
    private GatewayProblem? Authenticate(HttpContext context, out System.Security.Claims.ClaimsPrincipal? caller)
    {
        caller = null;
        var request = context.Request;
        if (KeyInQuery(request, callers))
        {
            return GatewayProblem.ApiKeyInQuery;
        }

        var values = request.Headers[HeaderName];
        if (values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            return GatewayProblem.ApiKeyInvalid;
        }

        return callers.Check(values.ToString(), LastPresentedKey.Of(context), clock.GetUtcNow(), out caller) switch
        {
            KeyCheck.Valid => null,
            KeyCheck.Malformed => GatewayProblem.ApiKeyMalformed,
            KeyCheck.Expired => GatewayProblem.ApiKeyExpired,
            KeyCheck.NotYetValid => GatewayProblem.ApiKeyNotYetValid,
            _ => GatewayProblem.ApiKeyInvalid,
        };
    }

    private static bool KeyInQuery(HttpRequest request, CallerDirectory callers)
    {
        if (!request.QueryString.HasValue)
        {
            return false;
        }

        if (request.QueryString.Value.AsSpan().ContainsAny(KeyPrefix))
        {
            return true;
        }

        // Names compared as the query collection compares them (decoded, case-insensitive), without building it;
        // values judged by what they are (a key in any disguise, or one some caller has).
        foreach (var pair in new QueryStringEnumerable(request.QueryString.Value))
        {
            var name = pair.DecodeName().Span;
            foreach (var keyLike in KeyLikeParameters)
            {
                if (name.Equals(keyLike, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            if (KeyLikeText.IsKeyLike(pair.DecodeValue().Span, callers))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Why the credential a request carried (a key, or a workload token when <paramref name="Bearer"/>) was refused.</summary>
internal sealed record CredentialRefusal(GatewayProblem Problem, bool Bearer = false);

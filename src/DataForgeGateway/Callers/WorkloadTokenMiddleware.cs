using DataForgeGateway.Problems;
using DataForgeGateway.WorkloadIdentity;
using Microsoft.Net.Http.Headers;

namespace DataForgeGateway.Callers;

/// <summary>
/// Who is calling, for a request without an API key: the workload behind the JWT in <c>Authorization: Bearer</c>, checked
/// against its issuer's keys (<see cref="WorkloadTokenValidator"/>) and mapped by its exact subject to a caller. As with
/// keys, nothing is refused here; <see cref="CallerPermissionMiddleware"/> says what was wrong. A request with an
/// <c>X-Api-Key</c> is judged by its key alone (an <c>Authorization</c> header beside it is ignored, as it always was),
/// and with no issuer configured the header means nothing. The header never reaches DataForge, a log, a span or the audit.
/// </summary>
internal sealed class WorkloadTokenMiddleware(RequestDelegate next, WorkloadTokenValidator tokens, CallerDirectory callers)
{
    public const string SchemeName = "Bearer";

    /// <summary>The <c>WWW-Authenticate</c> of a refused workload token (RFC 6750 section 3).</summary>
    public const string RefusedChallenge = $"{SchemeName} realm=\"dataforge-gateway\", error=\"invalid_token\"";

    /// <summary>The <c>WWW-Authenticate</c> that tells a caller without credentials that a workload token would do.</summary>
    public const string Challenge = $"{SchemeName} realm=\"dataforge-gateway\"";

    private const string BearerPrefix = "Bearer ";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.User.Identity is CallerIdentity || context.Features.Get<CredentialRefusal>() is not null
            || !tokens.Enabled || context.Request.Headers.ContainsKey(ApiKeyMiddleware.HeaderName))
        {
            return next(context);
        }

        var values = context.Request.Headers[HeaderNames.Authorization];
        if (values.Count == 0)
        {
            return next(context);
        }

        if (values.Count > 1)
        {
            context.Features.Set(new CredentialRefusal(GatewayProblem.WorkloadTokenInvalid, Bearer: true));
            return next(context);
        }

        var header = values.ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);   // another scheme is no credential of the gateway's: as if none were sent
        }

        var presented = header.AsSpan(BearerPrefix.Length).Trim();
        var connection = LastPresentedToken.Of(context);
        if (tokens.Recall(presented, connection) is { } again)
        {
            return Continue(context, again); // a kept-alive connection's token, as before: no copy of it
        }

        var check = tokens.ValidateAsync(presented.ToString(), connection, context.RequestAborted);
        return check.IsCompletedSuccessfully ? Continue(context, check.Result) : ContinueAsync(context, check);
    }

    private async Task ContinueAsync(HttpContext context, ValueTask<WorkloadToken> check) => await Continue(context, await check);

    private Task Continue(HttpContext context, WorkloadToken token)
    {
        if (Problem(token.Check) is { } problem)
        {
            context.Features.Set(new CredentialRefusal(problem, Bearer: true));
        }
        else if (callers.FindWorkload(token.Issuer!, token.Subject!) is { } caller)
        {
            context.User = caller;
        }
        else
        {
            context.Features.Set(new CredentialRefusal(GatewayProblem.WorkloadSubjectUnmapped, Bearer: true));
        }

        return next(context);
    }

    internal static GatewayProblem? Problem(WorkloadTokenCheck check) => check switch
    {
        WorkloadTokenCheck.Valid => null,
        WorkloadTokenCheck.Expired => GatewayProblem.WorkloadTokenExpired,
        WorkloadTokenCheck.NotYetValid => GatewayProblem.WorkloadTokenNotYetValid,
        WorkloadTokenCheck.WrongAudience => GatewayProblem.WorkloadTokenWrongAudience,
        WorkloadTokenCheck.UnknownIssuer => GatewayProblem.WorkloadTokenUnknownIssuer,
        WorkloadTokenCheck.BadSignature => GatewayProblem.WorkloadTokenBadSignature,
        WorkloadTokenCheck.KeysUnavailable => GatewayProblem.WorkloadKeysUnavailable,
        _ => GatewayProblem.WorkloadTokenInvalid,
    };
}

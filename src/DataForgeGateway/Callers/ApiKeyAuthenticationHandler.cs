using System.Text.Encodings.Web;
using DataForgeGateway.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Callers;

/// <summary>
/// Authenticates a caller by the API key in <c>X-Api-Key</c>. A failure is 401 problem+json with
/// <c>WWW-Authenticate</c> and a type that says what was wrong; the key itself is never logged, echoed or stored.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CallerDirectory callers,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    private const string Challenge = $"{SchemeName} realm=\"dataforge-gateway\", header=\"{HeaderName}\"";

    /// <summary>Query parameter names that can only mean a key was put where logs and DataForge would see it.</summary>
    private static readonly string[] KeyLikeParameters = ["api_key", "apikey", "api-key", "x-api-key"];

    private GatewayProblem _problem = GatewayProblem.ApiKeyMissing;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (KeyInQuery(Request))
        {
            return Fail(GatewayProblem.ApiKeyInQuery);
        }

        var values = Request.Headers[HeaderName];
        if (values.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (values.Count > 1)
        {
            return Fail(GatewayProblem.ApiKeyInvalid);
        }

        return callers.Check(values[0], clock.GetUtcNow(), out var caller) switch
        {
            KeyCheck.Valid => Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(caller!, SchemeName))),
            KeyCheck.Malformed => Fail(GatewayProblem.ApiKeyMalformed),
            KeyCheck.Expired => Fail(GatewayProblem.ApiKeyExpired),
            KeyCheck.NotYetValid => Fail(GatewayProblem.ApiKeyNotYetValid),
            _ => Fail(GatewayProblem.ApiKeyInvalid),
        };
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = Challenge;
        return Context.WriteProblemAsync(_problem, _problem == GatewayProblem.ApiKeyMissing
            ? "Send your service's API key in the X-Api-Key header."
            : _problem == GatewayProblem.ApiKeyInQuery
                ? "Send the key in the X-Api-Key header only, and treat the one you sent as leaked: rotate it."
                : null);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Context.WriteProblemAsync(GatewayProblem.Forbidden);

    private Task<AuthenticateResult> Fail(GatewayProblem problem)
    {
        _problem = problem;
        return Task.FromResult(AuthenticateResult.Fail(problem.Title));
    }

    private static bool KeyInQuery(HttpRequest request)
    {
        if (!request.QueryString.HasValue)
        {
            return false;
        }

        if (request.QueryString.Value!.Contains(ApiKeyFormat.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var name in KeyLikeParameters)
        {
            if (request.Query.ContainsKey(name))
            {
                return true;
            }
        }

        return false;
    }
}

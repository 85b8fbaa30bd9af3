using System.Text.Encodings.Web;
using DataForgeGateway.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Callers;

/// <summary>
/// Authenticates a caller by the API key in <c>X-Api-Key</c>. A failure is 401 problem+json with
/// <c>WWW-Authenticate</c>; the key itself is never logged, echoed or stored.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CallerDirectory callers)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    private const string Challenge = $"{SchemeName} realm=\"dataforge-gateway\", header=\"{HeaderName}\"";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var values = Request.Headers[HeaderName];
        if (values.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var caller = values.Count == 1 ? callers.Find(values[0]) : null;
        return Task.FromResult(caller is null
            ? AuthenticateResult.Fail("The API key is not valid.")
            : AuthenticateResult.Success(new AuthenticationTicket(caller, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = Challenge;
        return Request.Headers.ContainsKey(HeaderName)
            ? Context.WriteProblemAsync(GatewayProblem.ApiKeyInvalid, "The key in the X-Api-Key header is unknown, revoked or malformed.")
            : Context.WriteProblemAsync(GatewayProblem.ApiKeyMissing, "Send your service's API key in the X-Api-Key header.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Context.WriteProblemAsync(GatewayProblem.Forbidden);
}

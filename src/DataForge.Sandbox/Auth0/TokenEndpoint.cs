using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace DataForge.Sandbox.Auth0;

/// <summary>
/// Auth0's <c>POST /oauth/token</c> for the client-credentials grant: JSON or form body, client secret in the
/// body or as HTTP Basic, and Auth0's own success and error bodies.
/// </summary>
public static class TokenEndpoint
{
    public static void MapAuth0TokenEndpoint(this IEndpointRouteBuilder app) => app.MapPost("/oauth/token", IssueAsync);

    private static async Task<IResult> IssueAsync(
        HttpRequest request, TokenIssuer issuer, ClientAssertions assertions, SandboxRecorder recorder, SandboxSwitches switches, IOptionsMonitor<SandboxOptions> options)
    {
        recorder.RecordTokenRequest(request);
        if (switches.TokenEndpointDelay is { } delay)
        {
            await Task.Delay(delay, request.HttpContext.RequestAborted);
        }

        if (switches.TokenEndpointStatus is { } status)
        {
            return Fault(status, switches.TokenEndpointRetryAfter ?? TimeSpan.FromSeconds(2));
        }

        var form = await ReadParametersAsync(request);
        if (form is null)
        {
            return Error(400, "invalid_request", "Invalid request body. All and only of client_id, client_secret, audience, grant_type must be sent.");
        }

        ApplyBasicAuthentication(request, form);
        var settings = options.CurrentValue;
        if (form.GetValueOrDefault("client_assertion") is { } assertion)
        {
            if (form.GetValueOrDefault("client_assertion_type") != ClientAssertions.AssertionType)
            {
                return Error(400, "invalid_request", "client_assertion_type must be " + ClientAssertions.AssertionType);
            }

            if (!assertions.Enabled || form.ContainsKey("client_secret"))
            {
                return Error(401, "invalid_client", "The client is not configured for private_key_jwt, or sent a secret beside the assertion.");
            }

            if (form.GetValueOrDefault("client_id") is { } claimed && claimed != settings.ClientId)
            {
                return Error(401, "invalid_client", "client_id does not match the assertion.");
            }

            // Auth0 takes its tenant's URL, or its custom domain, with the trailing slash.
            string[] audiences = [$"https://{settings.Domain}/", $"{request.Scheme}://{request.Host}/"];
            if (await assertions.VerifyAsync(assertion, settings.ClientId, audiences) is { } refusal)
            {
                return Error(401, "invalid_client", refusal);
            }

            form["client_id"] = settings.ClientId;
        }
        else if (assertions.Enabled)
        {
            return Error(401, "invalid_client", "The client authenticates with private_key_jwt: a client secret is not accepted.");
        }

        foreach (var name in new[] { "grant_type", "client_id" })
        {
            if (string.IsNullOrEmpty(form.GetValueOrDefault(name)))
            {
                return Error(400, "invalid_request", $"Missing required parameter: {name}");
            }
        }

        if (form["grant_type"] != "client_credentials")
        {
            return Error(403, "unsupported_grant_type", $"Unsupported grant type: {form["grant_type"]}");
        }

        if (form["client_id"] != settings.ClientId || (!form.ContainsKey("client_assertion") && !SecretMatches(form.GetValueOrDefault("client_secret"), switches.ClientSecret ?? settings.ClientSecret)))
        {
            return Error(401, "access_denied", "Unauthorized");
        }

        var audience = form.GetValueOrDefault("audience");
        if (audience != settings.Audience)
        {
            return Error(403, "access_denied", $"Service not enabled within domain: {audience}");
        }

        var scope = form.GetValueOrDefault("scope");
        return Results.Json(new Dictionary<string, object?>
        {
            ["access_token"] = issuer.Issue(audience, scope),
            ["scope"] = scope ?? "read:sources write:source-pull",
            ["expires_in"] = settings.TokenLifetimeSeconds,
            ["token_type"] = "Bearer",
        });
    }

    private static async Task<Dictionary<string, string?>?> ReadParametersAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            return form.ToDictionary(p => p.Key, p => (string?)p.Value.ToString(), StringComparer.Ordinal);
        }

        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            if (body.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return body.RootElement.EnumerateObject().ToDictionary(
                p => p.Name,
                p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText(),
                StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void ApplyBasicAuthentication(HttpRequest request, Dictionary<string, string?> form)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return;
        }

        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter)).Split(':', 2);
        form["client_id"] = Uri.UnescapeDataString(pair[0]);
        form["client_secret"] = pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : null;
    }

    private static bool SecretMatches(string? given, string expected) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));

    private static IResult Fault(int status, TimeSpan retryAfter) => status switch
    {
        429 => new RateLimited(retryAfter),
        401 => Error(401, "access_denied", "Unauthorized"),
        403 => Error(403, "access_denied", "Client has not been granted scopes"),
        200 => Results.Content("<html><body>Auth0 is down for maintenance</body></html>", "text/html", statusCode: 200),
        _ => Results.Content("<html><body>Service Unavailable</body></html>", "text/html", statusCode: status),
    };

    private static IResult Error(int status, string error, string description) =>
        Results.Json(new { error, error_description = description }, statusCode: status);

    private sealed class RateLimited(TimeSpan retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var reset = TimeProvider.System.GetUtcNow().Add(retryAfter).ToUnixTimeSeconds();
            httpContext.Response.Headers["x-ratelimit-limit"] = "30";
            httpContext.Response.Headers["x-ratelimit-remaining"] = "0";
            httpContext.Response.Headers["x-ratelimit-reset"] = reset.ToString(System.Globalization.CultureInfo.InvariantCulture);
            httpContext.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Error(429, "too_many_requests", "Global limit has been reached").ExecuteAsync(httpContext);
        }
    }
}

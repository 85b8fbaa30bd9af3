using System.Globalization;
using System.Net;
using System.Text.Json;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Tokens;

/// <summary>
/// Asks a token endpoint for a client-credentials token, as the vendor page shows: a JSON body with
/// <c>client_id</c>, <c>client_secret</c>, <c>audience</c> and <c>grant_type</c>; or, with <c>PrivateKeyJwt</c>, a signed
/// <c>client_assertion</c> instead of the secret.
/// </summary>
internal sealed partial class Auth0TokenClient(IHttpClientFactory httpClients, TimeProvider clock, ILogger<Auth0TokenClient> logger)
{
    /// <summary>Auth0 caps an API's token lifetime at 30 days; anything longer is not a real answer.</summary>
    private static readonly TimeSpan LongestLifetime = TimeSpan.FromDays(30);

    public async Task<TokenResult> RequestAsync(string environment, Auth0Options auth0, TimeSpan safetyMargin, CancellationToken cancellationToken)
    {
        var sentAt = clock.GetUtcNow();
        HttpRequestMessage built;
        try
        {
            built = BuildRequest(auth0, sentAt);
        }
        catch (ClientAssertionException e)
        {
            return Failed(environment, TokenFailure.Rejected, e.Message);
        }

        using var request = built;
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(TokenExtensions.HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return Failed(environment, TokenFailure.Unavailable, $"the token endpoint could not be reached ({e.HttpRequestError})");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed(environment, TokenFailure.Timeout, "the token endpoint did not answer in time");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                return await RefusedAsync(environment, response, cancellationToken);
            }

            return await ParseAsync(environment, response, sentAt, safetyMargin, cancellationToken);
        }
    }

    /// <summary>The client-credentials request, in the body format and client authentication the settings ask for.</summary>
    internal static HttpRequestMessage BuildRequest(Auth0Options auth0, DateTimeOffset now)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["grant_type"] = "client_credentials" };
        if (auth0.ClientAuthentication == ClientAuthentication.Body)
        {
            parameters["client_id"] = auth0.ClientId;
            parameters["client_secret"] = auth0.ClientSecret;
        }
        else if (auth0.ClientAuthentication == ClientAuthentication.PrivateKeyJwt)
        {
            parameters["client_id"] = auth0.ClientId;
            parameters["client_assertion_type"] = ClientAssertion.Type;
            parameters["client_assertion"] = ClientAssertion.Create(auth0, now);
        }

        parameters["audience"] = auth0.Audience;
        if (!string.IsNullOrWhiteSpace(auth0.Scope))
        {
            parameters["scope"] = auth0.Scope;
        }

        foreach (var (name, value) in auth0.ExtraParameters)
        {
            parameters[name] = value;
        }

        var request = new HttpRequestMessage(HttpMethod.Post, auth0.ResolveTokenUrl())
        {
            Content = auth0.RequestFormat == TokenRequestFormat.Form ? new FormUrlEncodedContent(parameters) : JsonContent.Create(parameters),
        };
        if (auth0.ClientAuthentication == ClientAuthentication.Basic)
        {
            // RFC 6749 2.3.1: both parts form-encoded before the Base64.
            var credentials = $"{Uri.EscapeDataString(auth0.ClientId)}:{Uri.EscapeDataString(auth0.ClientSecret)}";
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        }

        request.Headers.Accept.ParseAdd("application/json");
        return request;
    }

    private async Task<TokenResult> RefusedAsync(string environment, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        return response.StatusCode switch
        {
            HttpStatusCode.TooManyRequests => Failed(environment, TokenFailure.RateLimited, "the tenant answered 429", RetryAfter(response)),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => Failed(
                environment,
                TokenFailure.Rejected,
                $"the tenant refused the credentials ({status}, {await ErrorCodeAsync(response, cancellationToken)})"),
            _ => Failed(environment, TokenFailure.Unavailable, $"the token endpoint answered {status}", RetryAfter(response)),
        };
    }

    private async Task<TokenResult> ParseAsync(
        string environment, HttpResponseMessage response, DateTimeOffset sentAt, TimeSpan safetyMargin, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("access_token", out var token) && token.ValueKind == JsonValueKind.String
                && token.GetString() is { Length: > 0 } value && !value.Any(char.IsWhiteSpace)
                && root.TryGetProperty("expires_in", out var expiresIn) && expiresIn.ValueKind == JsonValueKind.Number && expiresIn.TryGetInt64(out var seconds)
                && seconds > 0 && TimeSpan.FromSeconds(seconds) <= LongestLifetime)
            {
                // Lifetime counts from when the request left: the token cannot be younger than that.
                return TokenResult.Success(new AccessToken(value, sentAt, sentAt.AddSeconds(seconds), safetyMargin), TokenSource.Auth0);
            }
        }
        catch (JsonException)
        {
        }

        return Failed(environment, TokenFailure.InvalidResponse, "the token endpoint answered 2xx without a usable access_token and expires_in");
    }

    /// <summary>Auth0's short error code (such as <c>access_denied</c>), never its description, which can echo input.</summary>
    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.String
                && error.GetString() is { Length: <= 64 } code
                && code.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return code;
            }
        }
        catch (JsonException)
        {
        }

        return "no error code";
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            return retryAfter.Delta ?? (retryAfter.Date - clock.GetUtcNow());
        }

        // Auth0's rate-limit reset is a Unix time in seconds.
        return response.Headers.TryGetValues("x-ratelimit-reset", out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var reset)
            ? DateTimeOffset.FromUnixTimeSeconds(reset) - clock.GetUtcNow()
            : null;
    }

    private TokenResult Failed(string environment, TokenFailure failure, string reason, TimeSpan? retryAfter = null)
    {
        Log.TokenRequestFailed(logger, environment, failure, reason);
        var wait = retryAfter is { } delay && delay > TimeSpan.Zero ? delay : (TimeSpan?)null;
        return TokenResult.Failed(failure, $"No token for environment '{environment}': {reason}.", wait);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Token request for environment {Environment} failed ({Failure}): {Reason}")]
        public static partial void TokenRequestFailed(ILogger logger, string environment, TokenFailure failure, string reason);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using DataForgeGateway.Settings;
using DataForgeGateway.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.UnitTests.Tokens;

/// <summary>What the gateway sends to a token endpoint and how it reads the answer, on canned answers.</summary>
public sealed class Auth0TokenClientTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static readonly Auth0Options Tenant = new()
    {
        Domain = "dataforgedev.us.auth0.com",
        ClientId = "client-id-1",
        ClientSecret = "client-secret-1",
        Audience = "https://stage.api.dataforgedev.com",
    };

    [Fact]
    public async Task The_request_is_the_vendors_JSON_body_posted_to_the_tenants_token_url()
    {
        var endpoint = new CannedEndpoint(HttpStatusCode.OK, """{"access_token":"eyJ.a.b","expires_in":86400,"token_type":"Bearer"}""");

        var token = (await Client(endpoint).RequestAsync("stage", Tenant, TimeSpan.FromMinutes(5), CancellationToken.None)).Token!;

        Assert.Equal(HttpMethod.Post, endpoint.Method);
        Assert.Equal(new Uri("https://dataforgedev.us.auth0.com/oauth/token"), endpoint.Uri);
        Assert.Equal("application/json", endpoint.ContentType);
        var body = JsonDocument.Parse(endpoint.Body!).RootElement;
        Assert.Equal("client-id-1", body.GetProperty("client_id").GetString());
        Assert.Equal("client-secret-1", body.GetProperty("client_secret").GetString());
        Assert.Equal("https://stage.api.dataforgedev.com", body.GetProperty("audience").GetString());
        Assert.Equal("client_credentials", body.GetProperty("grant_type").GetString());
        Assert.Equal("eyJ.a.b", token.Value);
        Assert.Equal(Now.AddDays(1), token.ExpiresAt);
        Assert.Equal(Now.AddDays(1).AddMinutes(-5), token.UsableUntil);
    }

    [Fact]
    public async Task A_token_url_wins_over_the_domain()
    {
        var endpoint = new CannedEndpoint(HttpStatusCode.OK, """{"access_token":"t","expires_in":60}""");
        var tenant = new Auth0Options { Domain = "ignored.auth0.com", TokenUrl = "http://127.0.0.1:9/custom/token", ClientId = "c", ClientSecret = "s", Audience = "a" };

        await Client(endpoint).RequestAsync("stage", tenant, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(new Uri("http://127.0.0.1:9/custom/token"), endpoint.Uri);
    }

    [Fact]
    public void The_safety_margin_never_takes_more_than_half_a_short_lifetime()
    {
        var token = new AccessToken("t", Now, Now.AddSeconds(60), TimeSpan.FromMinutes(5));

        Assert.Equal(Now.AddSeconds(30), token.UsableUntil);
    }

    public static TheoryData<HttpStatusCode, string, TokenFailure> BadAnswers => new()
    {
        { HttpStatusCode.OK, "<html>down for maintenance</html>", TokenFailure.InvalidResponse },
        { HttpStatusCode.OK, """{"expires_in":86400}""", TokenFailure.InvalidResponse },
        { HttpStatusCode.OK, """{"access_token":"","expires_in":86400}""", TokenFailure.InvalidResponse },
        { HttpStatusCode.OK, """{"access_token":"t"}""", TokenFailure.InvalidResponse },
        { HttpStatusCode.OK, """{"access_token":"t","expires_in":0}""", TokenFailure.InvalidResponse },
        { HttpStatusCode.OK, """{"access_token":"t","expires_in":-5}""", TokenFailure.InvalidResponse },
        { HttpStatusCode.OK, """{"access_token":"t","expires_in":"soon"}""", TokenFailure.InvalidResponse },
        { HttpStatusCode.OK, """{"access_token":"t","expires_in":315360000}""", TokenFailure.InvalidResponse },
        { HttpStatusCode.OK, """["access_token"]""", TokenFailure.InvalidResponse },
        { HttpStatusCode.Unauthorized, """{"error":"access_denied","error_description":"Unauthorized"}""", TokenFailure.Rejected },
        { HttpStatusCode.Forbidden, """{"error":"access_denied","error_description":"Service not enabled within domain: x"}""", TokenFailure.Rejected },
        { HttpStatusCode.TooManyRequests, """{"error":"too_many_requests"}""", TokenFailure.RateLimited },
        { HttpStatusCode.BadGateway, "<html>bad gateway</html>", TokenFailure.Unavailable },
    };

    [Theory]
    [MemberData(nameof(BadAnswers))]
    public async Task An_answer_that_is_not_a_token_is_a_failure_that_echoes_nothing_of_the_body(HttpStatusCode status, string body, TokenFailure expected)
    {
        var endpoint = new CannedEndpoint(status, body);

        var error = await Client(endpoint).RequestAsync("stage", Tenant, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.False(error.Succeeded);

        Assert.Equal(expected, error.Failure);
        Assert.DoesNotContain("maintenance", error.Message);
        Assert.DoesNotContain("Service not enabled", error.Message);
        Assert.DoesNotContain("client-secret-1", error.Message);
    }

    [Fact]
    public async Task A_rate_limit_reset_header_becomes_the_wait()
    {
        var endpoint = new CannedEndpoint(HttpStatusCode.TooManyRequests, "{}");
        endpoint.Headers["x-ratelimit-reset"] = Now.AddSeconds(30).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var error = await Client(endpoint).RequestAsync("stage", Tenant, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.False(error.Succeeded);

        Assert.Equal(TimeSpan.FromSeconds(30), error.RetryAfter);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_unavailable()
    {
        var client = new Auth0TokenClient(new SingleClientFactory(new Unreachable()), new FakeTimeProvider(Now), NullLogger<Auth0TokenClient>.Instance);

        var error = await client.RequestAsync("stage", Tenant, TimeSpan.Zero, CancellationToken.None);
        Assert.False(error.Succeeded);

        Assert.Equal(TokenFailure.Unavailable, error.Failure);
    }

    /// <summary>What SocketsHttpHandler throws when nothing listens: connection refused.</summary>
    private sealed class Unreachable : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Connection refused (127.0.0.1:1)", new System.Net.Sockets.SocketException(111));
    }

    private static Auth0TokenClient Client(CannedEndpoint endpoint) =>
        new(new SingleClientFactory(endpoint), new FakeTimeProvider(Now), NullLogger<Auth0TokenClient>.Instance);

    private sealed class SingleClientFactory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    /// <summary>A token endpoint that answers one fixed response and remembers what it was sent.</summary>
    private sealed class CannedEndpoint(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public Dictionary<string, string> Headers { get; } = [];

        public HttpMethod? Method { get; private set; }

        public Uri? Uri { get; private set; }

        public string? ContentType { get; private set; }

        public string? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Method = request.Method;
            Uri = request.RequestUri;
            ContentType = request.Content?.Headers.ContentType?.MediaType;
            Body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8) };
            foreach (var (name, value) in Headers)
            {
                response.Headers.TryAddWithoutValidation(name, value);
            }

            return response;
        }
    }
}

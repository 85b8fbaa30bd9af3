using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataForge.Sandbox.Tests;

/// <summary>The sandbox behaves like an Auth0 tenant and the DataForge API, so tests against it mean something.</summary>
public sealed class SandboxTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    private SandboxRecorder Recorder => _app.Services.GetRequiredService<SandboxRecorder>();

    public async Task InitializeAsync()
    {
        _app = SandboxApplication.Build(
            ["--urls", "http://127.0.0.1:0", "--Sandbox:TokenLifetimeSeconds", "3600", "--Logging:LogLevel:Default", "Warning"],
            builder => builder.Services.AddSingleton<TimeProvider>(_clock));
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task The_vendors_JSON_token_request_gets_a_bearer_token_with_expires_in()
    {
        using var response = await RequestTokenAsync(JsonBody("sandbox-client", "sandbox-secret", "https://sandbox.api.dataforgedev.com"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        Assert.Equal(3, body.GetProperty("access_token").GetString()!.Split('.').Length);
        Assert.Equal(1, Recorder.TokensIssued);
    }

    [Fact]
    public async Task A_form_body_and_HTTP_Basic_client_authentication_work_too()
    {
        using var form = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["audience"] = "https://sandbox.api.dataforgedev.com",
            }),
        };
        form.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("sandbox-client:sandbox-secret")));

        using var response = await _client.SendAsync(form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("sandbox-client", "wrong", "https://sandbox.api.dataforgedev.com", 401, "access_denied")]
    [InlineData("unknown", "sandbox-secret", "https://sandbox.api.dataforgedev.com", 401, "access_denied")]
    [InlineData("sandbox-client", "sandbox-secret", "https://other.example", 403, "access_denied")]
    public async Task Wrong_credentials_get_Auth0s_error_bodies_and_no_token(string clientId, string secret, string audience, int status, string error)
    {
        using var response = await RequestTokenAsync(JsonBody(clientId, secret, audience));

        Assert.Equal(status, (int)response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(error, body.GetProperty("error").GetString());
        Assert.True(body.TryGetProperty("error_description", out _));
        Assert.Equal(0, Recorder.TokensIssued);
    }

    [Fact]
    public async Task The_API_refuses_a_missing_forged_or_expired_token()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.GetAsync("/external/sources?projectId=1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetSourcesAsync("eyJhbGciOiJIUzI1NiJ9.e30.forged")).StatusCode);

        var token = await IssueAsync();
        Assert.Equal(HttpStatusCode.OK, (await GetSourcesAsync(token)).StatusCode);

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetSourcesAsync(token)).StatusCode);
    }

    [Fact]
    public async Task The_four_routes_answer_realistic_JSON()
    {
        var token = await IssueAsync();
        using var pull = Authorized(HttpMethod.Post, "/external/source-pull/19643", token);
        using var inputs = Authorized(HttpMethod.Post, "/external/inputs-filtered", token);
        inputs.Content = new StringContent("""{"source_id": "19709", "limit":"2","effective_filter":"true"}""", Encoding.UTF8, "application/json");
        using var byName = Authorized(HttpMethod.Get, "/external/sources-filtered-by-name/billing?projectId=2", token);

        var pulled = JsonDocument.Parse(await (await _client.SendAsync(pull)).Content.ReadAsStringAsync()).RootElement;
        var listed = JsonDocument.Parse(await (await _client.SendAsync(inputs)).Content.ReadAsStringAsync()).RootElement;
        var named = JsonDocument.Parse(await (await _client.SendAsync(byName)).Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(19643, pulled.GetProperty("source_id").GetInt64());
        Assert.Equal(2, listed.GetArrayLength());
        Assert.All(listed.EnumerateArray(), input => Assert.True(input.GetProperty("effective_flag").GetBoolean()));
        Assert.Equal(["billing_invoices", "billing_demo_payments"], named.EnumerateArray().Select(s => s.GetProperty("source_name").GetString()));
        Assert.Equal(3, Recorder.Requests.Count);
    }

    private async Task<string> IssueAsync()
    {
        using var response = await RequestTokenAsync(JsonBody("sandbox-client", "sandbox-secret", "https://sandbox.api.dataforgedev.com"));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    private Task<HttpResponseMessage> GetSourcesAsync(string token) =>
        _client.SendAsync(Authorized(HttpMethod.Get, "/external/sources?projectId=1", token));

    private static HttpRequestMessage Authorized(HttpMethod method, string path, string token)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private Task<HttpResponseMessage> RequestTokenAsync(HttpContent body) => _client.PostAsync("/oauth/token", body);

    private static JsonContent JsonBody(string clientId, string secret, string audience) => JsonContent.Create(new Dictionary<string, string>
    {
        ["client_id"] = clientId,
        ["client_secret"] = secret,
        ["audience"] = audience,
        ["grant_type"] = "client_credentials",
    });
}

using System.Net;
using System.Text;
using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;
using DataForgeGateway.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.UnitTests.Tokens;

/// <summary>
/// The token protocol's decisions on one replica, with a fake clock, a fixed random source and a scripted token
/// endpoint: when it renews, how long it backs off, what it answers meanwhile.
/// </summary>
public sealed class AccessTokenProviderTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly ScriptedEndpoint _auth0;
    private readonly RecordingStore _store = new();
    private readonly ServiceProvider _services;
    private readonly IConfigurationRoot _configuration;
    private double _random = 0.5;

    public AccessTokenProviderTests()
    {
        _auth0 = new ScriptedEndpoint();
        var configuration = _configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:DefaultEnvironment"] = "stage",
            ["Gateway:Environments:stage:BaseUrl"] = "http://127.0.0.1:1",
            ["Gateway:Environments:stage:Auth0:Domain"] = "tenant.auth0.com",
            ["Gateway:Environments:stage:Auth0:ClientId"] = "client",
            ["Gateway:Environments:stage:Auth0:ClientSecret"] = "secret",
            ["Gateway:Environments:stage:Auth0:Audience"] = "https://stage.api",
            ["Gateway:Tokens:RetryInitialDelay"] = "00:00:01",
            ["Gateway:Tokens:RetryMaxDelay"] = "00:00:08",
            ["Gateway:Tokens:RetryMaxDelayWithoutToken"] = "00:00:08",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddMetrics()
            .AddSingleton<TimeProvider>(_clock)
            .AddLiveOptions();
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName);
        services.AddOptions<TokenOptions>().BindConfiguration(TokenOptions.SectionName);
        services.AddHttpClient(TokenExtensions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => _auth0);
        services.AddSingleton<TokenMetrics>().AddSingleton<Auth0TokenClient>().AddSingleton<ITokenStore>(_store)
            .AddSingleton(new TokenJitter(() => _random)).AddSingleton<AccessTokenProvider>().AddStorageKeys();
        _services = services.BuildServiceProvider();
    }

    private AccessTokenProvider Tokens => _services.GetRequiredService<AccessTokenProvider>();

    [Fact]
    public async Task A_token_is_fetched_once_and_then_served_from_memory_without_allocating_an_answer()
    {
        var first = await Tokens.GetAsync("stage", CancellationToken.None);
        var second = await Tokens.GetAsync("stage", CancellationToken.None);
        var third = await Tokens.GetAsync("stage", CancellationToken.None);

        Assert.Equal(TokenSource.Auth0, first.Source);
        Assert.Equal(TokenSource.Memory, second.Source);
        Assert.Same(second, third);
        Assert.Same(first.Token, third.Token);
        Assert.Equal(1, _auth0.Requests);
    }

    [Theory]
    [InlineData(0.0, 0.75)]    // RefreshAfter 0.8 less the whole jitter 0.05
    [InlineData(0.5, 0.80)]
    [InlineData(0.75, 0.825)]
    public async Task The_refresh_point_is_the_lifetime_share_the_jitter_draws(double random, double share)
    {
        _random = random;

        await Tokens.GetAsync("stage", CancellationToken.None);

        Assert.Equal(Start + (TimeSpan.FromHours(24) * share), Tokens.NextRefreshAt("stage"));
    }

    [Theory]
    [InlineData(0.0, new[] { 500, 1000, 2000, 4000, 4000 })]   // half of 1, 2, 4, 8, 8 seconds (RetryMaxDelay 8)
    [InlineData(0.5, new[] { 750, 1500, 3000, 6000, 6000 })]
    public async Task Failures_back_off_exponentially_with_equal_jitter_up_to_the_maximum(double random, int[] delaysMs)
    {
        _random = random;
        _auth0.Answer = HttpStatusCode.ServiceUnavailable;

        Assert.Equal(delaysMs, await FailedRetryAftersAsync(delaysMs.Length));
        Assert.Equal(delaysMs.Length, _auth0.Requests);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, new[] { 1000, 2000, 3000, 3000 })]   // Auth0 down: capped at 3 s, the replica has no token
    [InlineData(HttpStatusCode.Unauthorized, new[] { 1000, 2000, 4000, 8000 })]         // credentials refused: up to RetryMaxDelay as ever
    public async Task Without_a_usable_token_a_failure_that_may_pass_backs_off_at_most_RetryMaxDelayWithoutToken(HttpStatusCode answer, int[] delaysMs)
    {
        _random = 1.0;
        _configuration["Gateway:Tokens:RetryMaxDelayWithoutToken"] = "00:00:03";
        _auth0.Answer = answer;

        Assert.Equal(delaysMs, await FailedRetryAftersAsync(delaysMs.Length));
    }

    /// <summary>Asks for a token <paramref name="count"/> times, each failing, the clock moved by each Retry-After; those, in milliseconds.</summary>
    private async Task<List<int>> FailedRetryAftersAsync(int count)
    {
        var seen = new List<int>();
        for (var i = 0; i < count; i++)
        {
            var result = await Tokens.GetAsync("stage", CancellationToken.None);
            Assert.False(result.Succeeded);
            seen.Add((int)result.RetryAfter!.Value.TotalMilliseconds);
            _clock.Advance(result.RetryAfter.Value);
        }

        return seen;
    }

    [Fact]
    public async Task Requests_during_a_back_off_are_answered_without_asking_Auth0_and_with_what_is_left_of_it()
    {
        _auth0.Answer = HttpStatusCode.ServiceUnavailable;
        var failed = await Tokens.GetAsync("stage", CancellationToken.None);
        _clock.Advance(TimeSpan.FromMilliseconds(300));

        var meanwhile = await Tokens.GetAsync("stage", CancellationToken.None);

        Assert.Equal(1, _auth0.Requests);
        Assert.Equal(TokenFailure.Unavailable, meanwhile.Failure);
        Assert.Equal(failed.RetryAfter!.Value - TimeSpan.FromMilliseconds(300), meanwhile.RetryAfter);
    }

    [Fact]
    public async Task Auth0s_retry_after_is_honoured_up_to_the_maximum_delay()
    {
        _auth0.Answer = HttpStatusCode.TooManyRequests;
        _auth0.RetryAfterSeconds = 600;

        var result = await Tokens.GetAsync("stage", CancellationToken.None);

        Assert.Equal(TokenFailure.RateLimited, result.Failure);
        Assert.Equal(TimeSpan.FromSeconds(8), result.RetryAfter);
    }

    [Fact]
    public async Task A_failed_background_refresh_keeps_serving_the_usable_token_and_hands_the_store_only_the_failure()
    {
        var token = (await Tokens.GetAsync("stage", CancellationToken.None)).Token;
        _clock.Advance(TimeSpan.FromHours(20));   // past the refresh point, well before expiry
        _auth0.Answer = HttpStatusCode.ServiceUnavailable;

        var refreshed = await Tokens.RefreshAsync("stage", CancellationToken.None);
        var served = await Tokens.GetAsync("stage", CancellationToken.None);

        Assert.Same(token, refreshed.Token);
        Assert.Same(token, served.Token);
        Assert.Equal(TokenSource.Memory, served.Source);
        Assert.Equal([true, false], _store.FetchOutcomes);   // the first fetch's token, then the refresh's failure
    }

    [Fact]
    public async Task A_revoked_token_is_renewed_at_once_every_time()
    {
        for (var revocation = 1; revocation <= 3; revocation++)
        {
            var sent = (await Tokens.GetAsync("stage", CancellationToken.None)).Token!;
            sent.MarkAccepted();

            var renewed = await Tokens.RenewAsync("stage", sent, CancellationToken.None);

            Assert.True(renewed.Succeeded);
            Assert.NotSame(sent, renewed.Token);
        }

        Assert.Equal(4, _auth0.Requests);
    }

    [Fact]
    public async Task Tokens_refused_without_ever_being_accepted_brake_renewals()
    {
        var sent = (await Tokens.GetAsync("stage", CancellationToken.None)).Token!;
        var renewed = (await Tokens.RenewAsync("stage", sent, CancellationToken.None)).Token!;

        var braked = await Tokens.RenewAsync("stage", renewed, CancellationToken.None);

        Assert.Equal(TokenFailure.Rejected, braked.Failure);
        Assert.Equal(TimeSpan.FromSeconds(1), braked.RetryAfter);
        Assert.Equal(2, _auth0.Requests);
        Assert.Equal(TokenReadiness.Refused, Tokens.ReadinessOf("stage"));
    }

    public void Dispose() => _services.Dispose();

    /// <summary>The no-Redis store, recording whether each fetch it ran came to a token.</summary>
    private sealed class RecordingStore : ITokenStore
    {
        public List<bool> FetchOutcomes { get; } = [];

        public async Task<TokenResult> AcquireAsync(TokenScope scope, Func<AccessToken, bool> acceptable, Func<Task<TokenResult>> fetch, CancellationToken cancellationToken)
        {
            var result = await fetch();
            FetchOutcomes.Add(result.Succeeded);
            return result;
        }
    }

    /// <summary>A token endpoint that issues a new 24-hour token per request, or answers the status it is told to.</summary>
    private sealed class ScriptedEndpoint : HttpMessageHandler
    {
        private int _requests;

        public HttpStatusCode Answer { get; set; } = HttpStatusCode.OK;

        public int? RetryAfterSeconds { get; set; }

        public int Requests => _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _requests);
            var response = Answer == HttpStatusCode.OK
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($$"""{"access_token":"eyJ.token.{{n}}","expires_in":86400}""", Encoding.UTF8, "application/json") }
                : new HttpResponseMessage(Answer) { Content = new StringContent("{}") };
            if (RetryAfterSeconds is { } seconds)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
            }

            return Task.FromResult(response);
        }
    }
}

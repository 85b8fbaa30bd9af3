using System.Diagnostics;
using System.Diagnostics.Metrics;
using DataForgeGateway.Tests.Infrastructure;
using DataForgeGateway.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>Operators see token requests, cache hits by layer, refreshes and remaining lifetime; never a token or secret.</summary>
[Collection(SerialTests.Name)]
public sealed class TokenTelemetryTests : GatewayTest
{
    [Fact]
    public async Task Token_requests_refreshes_and_cache_hits_are_counted_by_environment_outcome_and_layer()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        var meters = Gateway.Services.GetRequiredService<IMeterFactory>();
        using var requests = new MetricCollector<long>(meters, TokenMetrics.MeterName, "dataforge_gateway.token.requests");
        using var refreshes = new MetricCollector<long>(meters, TokenMetrics.MeterName, "dataforge_gateway.token.refreshes");
        using var hits = new MetricCollector<long>(meters, TokenMetrics.MeterName, "dataforge_gateway.token.cache_hits");
        using var lifetime = new MetricCollector<double>(meters, TokenMetrics.MeterName, "dataforge_gateway.token.remaining_lifetime");

        // DataForge refuses the token: one renewal, one more token request.
        Sandbox.Issuer.Revoke(Sandbox.Recorder.Requests[0].Authorization!["Bearer ".Length..]);
        for (var i = 0; i < 3; i++)
        {
            using (await caller.GetAsync("/external/sources?projectId=1"))
            {
            }
        }

        var request = Assert.Single(requests.GetMeasurementSnapshot());
        Assert.Equal(("stage", "success"), ((string)request.Tags["environment"]!, (string)request.Tags["outcome"]!));
        Assert.Equal("rejected", Assert.Single(refreshes.GetMeasurementSnapshot()).Tags["trigger"]);
        Assert.True(hits.GetMeasurementSnapshot().Count(m => (string?)m.Tags["layer"] == "memory") >= 2);
        lifetime.RecordObservableInstruments();
        Assert.InRange(lifetime.LastMeasurement!.Value, 86_000, 86_400);
    }

    [Fact]
    public async Task Each_Auth0_call_has_a_span_that_holds_no_secret()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TokenMetrics.MeterName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var caller = Gateway.CreateCaller();

        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        var span = Assert.Single(spans, s => s.GetTagItem("dataforge.environment") as string == "stage");
        Assert.Equal("success", span.GetTagItem("dataforge.token.outcome"));
        var token = Sandbox.Recorder.Requests[0].Authorization!["Bearer ".Length..];
        var everything = string.Join('\n', span.TagObjects.Select(t => $"{t.Key}={t.Value}")) + span.DisplayName;
        Assert.DoesNotContain(token, everything);
        Assert.DoesNotContain(SandboxHost.ClientSecret, everything);
    }
}

using System.Diagnostics;
using OpenTelemetry.Metrics;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>The scan every gateway test ends with does find what it looks for.</summary>
public sealed class SecretScanTests
{
    [Theory]
    [InlineData("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMTIz sent")]
    [InlineData("key dfgw_abcd1234efgh_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef123456 seen")]
    [InlineData("secret " + SandboxHost.ClientSecret)]
    [InlineData("caller key " + GatewayHost.CallerKey)]
    public void A_secret_in_a_log_line_is_found(string line) =>
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => SecretScan.AssertClean([line], [], []));

    [Fact]
    public void A_secret_in_a_span_tag_is_found()
    {
        using var span = new Activity("request").SetTag("url.full", "http://x/?key=" + GatewayHost.CallerKey);

        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => SecretScan.AssertClean(["clean"], [span], []));
    }

    [Fact]
    public void Clean_telemetry_passes() =>
        SecretScan.AssertClean(["Token for environment stage from Auth0, expiring 2026-11-28"], [], Array.Empty<MetricSnapshot>());
}

using System.Globalization;
using System.Net;
using DataForgeGateway.Callers;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Callers;

/// <summary>
/// A key's validity window is checked on every request, also on a kept-alive connection that presented the key
/// before (where its hash and lookup are reused).
/// </summary>
public sealed class KeyValidityWindowTests() : GatewayTest(new FakeTimeProvider(Morning))
{
    private static readonly (string Id, string Key) Expiring = ApiKeyFormat.New();
    private static readonly (string Id, string Key) Early = ApiKeyFormat.New();

    protected override Dictionary<string, string?>? Settings => new()
    {
        ["Gateway:Callers:window-svc:Keys:0:Id"] = Expiring.Id,
        ["Gateway:Callers:window-svc:Keys:0:Sha256"] = GatewayHost.Sha256(Expiring.Key),
        ["Gateway:Callers:window-svc:Keys:0:Expires"] = Morning.AddHours(1).ToString("O", CultureInfo.InvariantCulture),
        ["Gateway:Callers:window-svc:Keys:1:Id"] = Early.Id,
        ["Gateway:Callers:window-svc:Keys:1:Sha256"] = GatewayHost.Sha256(Early.Key),
        ["Gateway:Callers:window-svc:Keys:1:NotBefore"] = Morning.AddHours(1).ToString("O", CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task A_key_that_expires_while_its_connection_stays_open_is_refused_from_then_on()
    {
        using var client = new OneConnectionClient(Gateway.ProxyAddress);
        using (var before = await client.GetAsync("/external/sources?projectId=1", Expiring.Key))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        Clock.Advance(TimeSpan.FromHours(1));
        using var after = await client.GetAsync("/external/sources?projectId=1", Expiring.Key);

        await Problem.AssertAsync(after, HttpStatusCode.Unauthorized, "api-key-expired");
        Assert.Equal(1, client.Connections);
        Assert.Single(Sandbox.Recorder.Requests);
    }

    [Fact]
    public async Task A_key_refused_as_not_yet_valid_on_a_connection_is_let_through_there_once_its_time_comes()
    {
        using var client = new OneConnectionClient(Gateway.ProxyAddress);
        using (var early = await client.GetAsync("/external/sources?projectId=1", Early.Key))
        {
            await Problem.AssertAsync(early, HttpStatusCode.Unauthorized, "api-key-not-yet-valid");
        }

        Clock.Advance(TimeSpan.FromHours(1));
        using var onTime = await client.GetAsync("/external/sources?projectId=1", Early.Key);

        Assert.Equal(HttpStatusCode.OK, onTime.StatusCode);
        Assert.Equal(1, client.Connections);
    }
}

using System.Net;
using System.Text;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>DataForge refusing the gateway's token: renew once, replay once, and never blame the caller's key.</summary>
public sealed class TokenReplayTests : GatewayTest
{
    private const string Body = """{"source_id":"19709","limit":"3","effective_filter":"false"}""";

    [Fact]
    public async Task A_revoked_token_is_renewed_and_the_request_replayed_with_its_body_intact()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        var revoked = Sandbox.Recorder.Requests[0].Authorization!;
        Sandbox.Issuer.Revoke(revoked["Bearer ".Length..]);

        using var response = await caller.PostAsync("/external/inputs-filtered", new StringContent(Body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("1970901", await response.Content.ReadAsStringAsync());
        var attempts = Sandbox.Recorder.Requests.Skip(1).ToList();
        Assert.Equal([401, 200], attempts.Select(a => a.Status));
        Assert.Equal([Body, Body], attempts.Select(a => a.Body));
        Assert.Equal(revoked, attempts[0].Authorization);
        Assert.NotEqual(revoked, attempts[1].Authorization);
        Assert.Equal(2, Sandbox.Recorder.TokensIssued);
    }

    [Fact]
    public async Task A_burst_of_refusals_of_one_token_causes_one_renewal()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        Sandbox.Issuer.Revoke(Sandbox.Recorder.Requests[0].Authorization!["Bearer ".Length..]);

        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => caller.PostAsync("/external/source-pull/19643", null)));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(2, Sandbox.Recorder.TokensIssued);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_token_revoked_again_seconds_after_its_renewal_is_renewed_at_once()
    {
        using var caller = Gateway.CreateCaller();
        for (var revocation = 1; revocation <= 3; revocation++)
        {
            using (var working = await caller.GetAsync("/external/sources?projectId=1"))
            {
                Assert.Equal(HttpStatusCode.OK, working.StatusCode);
            }

            // Every token issued so far stops working, as after a signing-key rollover: the one that just served
            // requests was revoked, so a new one is asked for at once, however recent the last renewal.
            Sandbox.Issuer.RevokeAll();

            using var afterRevocation = await caller.PostAsync("/external/source-pull/19643", null);
            Assert.Equal(HttpStatusCode.OK, afterRevocation.StatusCode);
            Assert.Equal(1 + revocation, Sandbox.Recorder.TokensIssued);
        }
    }
}

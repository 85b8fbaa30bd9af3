using System.Net;
using System.Security.Cryptography;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace DataForgeGateway.Tests.WorkloadIdentity;

public sealed class IssuerKeyRotationTests : WorkloadTest
{
    private static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>The flood is one address's: its failed authentications are not what this class is about.</summary>
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:RateLimits:FailedAuthentication:PermitsPerSecond"] = "1000",
        ["Gateway:RateLimits:FailedAuthentication:Burst"] = "1000",
    };

    [Fact]
    public async Task A_token_signed_with_the_issuers_new_key_is_accepted_without_a_restart()
    {
        using (var before = CreateWorkload(Mint()))
        {
            Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/external/sources?projectId=1")).StatusCode);
        }

        Sandbox.Workloads.Rotate(withdrawOld: false);   // at once: the gateway's own fetch at start does not hold the next back
        using var after = CreateWorkload(Mint());

        using var response = await after.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_key_the_issuer_withdrew_stops_working_for_tokens_already_accepted()
    {
        var old = Mint();
        using var caller = CreateWorkload(old);
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync("/external/sources?projectId=1")).StatusCode);

        Sandbox.Workloads.Rotate(withdrawOld: true);
        using var fresh = CreateWorkload(Mint());
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/external/sources?projectId=1")).StatusCode);   // fetches the new set

        using var again = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(again, HttpStatusCode.Unauthorized, "workload-token-bad-signature");
    }

    [Fact]
    public async Task A_flood_of_tokens_signed_by_unknown_keys_costs_the_issuer_one_fetch_per_interval()
    {
        using (var warm = CreateWorkload(Mint()))
        {
            Assert.Equal(HttpStatusCode.OK, (await warm.GetAsync("/external/sources?projectId=1")).StatusCode);
        }

        var fetchesBefore = Sandbox.Workloads.JwksFetches;
        for (var i = 0; i < 60; i++)
        {
            using var forged = CreateWorkload(SignedByStranger());
            using var response = await forged.GetAsync("/external/sources?projectId=1");
            await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "workload-token-bad-signature");
        }

        Assert.Equal(fetchesBefore + 1, Sandbox.Workloads.JwksFetches);

        Clock.Advance(MinRefreshInterval);
        using (var next = CreateWorkload(SignedByStranger()))
        {
            await Problem.AssertAsync(await next.GetAsync("/external/sources?projectId=1"), HttpStatusCode.Unauthorized, "workload-token-bad-signature");
        }

        Assert.Equal(fetchesBefore + 2, Sandbox.Workloads.JwksFetches);
        Assert.Equal(1, Sandbox.Recorder.ApiCalls);   // only the first, valid request reached DataForge
    }

    private string SignedByStranger()
    {
        using var stranger = RSA.Create(2048);
        var key = new RsaSecurityKey(stranger.ExportParameters(true)) { KeyId = Guid.NewGuid().ToString("N") };
        return Sandbox.Workloads.Mint(IssuerUrl, Subject, Audience, signedWith: new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
    }
}

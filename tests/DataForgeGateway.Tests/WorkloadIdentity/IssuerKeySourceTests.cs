using System.Net;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.WorkloadIdentity;

/// <summary>An issuer whose keys the gateway reads from a file (a ConfigMap), for a cluster whose issuer it cannot reach.</summary>
public sealed class JwksFileTests : WorkloadTest, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dfgw-jwks-").FullName;

    private string JwksPath => Path.Combine(_folder, "jwks.json");

    protected override Dictionary<string, string?> Settings
    {
        get
        {
            WriteJwks();
            return new() { ["Gateway:WorkloadIdentity:Issuers:cluster:JwksFile"] = JwksPath };
        }
    }

    [Fact]
    public async Task Keys_come_from_the_file_and_a_rewritten_file_brings_the_new_key()
    {
        using (var before = CreateWorkload(Mint()))
        {
            Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/external/sources?projectId=1")).StatusCode);
        }

        Sandbox.Workloads.Rotate(withdrawOld: true);
        var rotated = Mint();
        using (var tooEarly = CreateWorkload(rotated))
        {
            // The file still holds the old key: the new one is unknown, whatever the issuer says.
            await Problem.AssertAsync(await tooEarly.GetAsync("/external/sources?projectId=1"), HttpStatusCode.Unauthorized, "workload-token-bad-signature");
        }

        WriteJwks();
        Clock.Advance(TimeSpan.FromSeconds(5));
        using var after = CreateWorkload(rotated);

        using var response = await after.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, Sandbox.Workloads.JwksFetches - 2);   // only this test's own two writes; the gateway never asked the issuer
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>As a ConfigMap update lands: a new file renamed over the old one.</summary>
    private void WriteJwks()
    {
        var temporary = JwksPath + ".new";
        File.WriteAllText(temporary, JsonSerializer.Serialize(Sandbox.Workloads.Jwks()));
        File.Move(temporary, JwksPath, overwrite: true);
    }
}

/// <summary>An issuer the gateway cannot reach and has never had keys from.</summary>
public sealed class UnreachableIssuerTests : WorkloadTest
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:WorkloadIdentity:Issuers:cluster:JwksUri"] = $"http://127.0.0.1:{FreePort.Next()}/openid/v1/jwks",
        ["Gateway:RateLimits:FailedAuthentication:PermitsPerSecond"] = "0.01",
        ["Gateway:RateLimits:FailedAuthentication:Burst"] = "2",
    };

    [Fact]
    public async Task Its_tokens_get_503_with_a_retry_after_and_key_callers_are_served()
    {
        for (var i = 0; i < 5; i++)
        {
            using var workload = CreateWorkload(Mint());
            using var refused = await workload.GetAsync("/external/sources?projectId=1");

            // The gateway's trouble, not the caller's: never charged to its address as a failed authentication (429).
            await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "workload-keys-unavailable");
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        using var keyCaller = Gateway.CreateCaller();
        Assert.Equal(HttpStatusCode.OK, (await keyCaller.GetAsync("/external/sources?projectId=1")).StatusCode);
        Assert.Equal(1, Sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task Refused_tokens_count_against_the_failed_authentication_limit_of_their_address()
    {
        HttpStatusCode[] statuses = new HttpStatusCode[3];
        for (var i = 0; i < statuses.Length; i++)
        {
            using var forged = CreateWorkload("not.a.token" + i);
            statuses[i] = (await forged.GetAsync("/external/sources?projectId=1")).StatusCode;
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
    }
}

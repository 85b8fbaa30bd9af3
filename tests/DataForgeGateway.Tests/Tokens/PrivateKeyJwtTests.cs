using System.Net;
using System.Security.Cryptography;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>
/// The gateway proves itself to Auth0 with <c>private_key_jwt</c>: a key file (a mounted Secret) and no client
/// secret; the sandbox's tenant holds only the public key and checks every assertion as Auth0 does.
/// </summary>
public sealed class PrivateKeyJwtTests : IAsyncLifetime, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dfgw-auth0-key-").FullName;
    private RSA _key = RSA.Create(2048);
    private SandboxHost _sandbox = null!;

    private string KeyPath => Path.Combine(_folder, "private-key.pem");

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxHost.StartAsync();
        WriteKey(_key);
        _sandbox.Assertions.Register(_key.ExportSubjectPublicKeyInfoPem());
    }

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    public void Dispose()
    {
        _key.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData("RS256", "Json")]
    [InlineData("RS384", "Form")]
    [InlineData("PS256", "Json")]
    public async Task Tokens_are_got_with_a_signed_assertion_and_no_secret(string algorithm, string format)
    {
        await using var gateway = Gateway(new() { ["Gateway:Environments:stage:Auth0:SigningAlgorithm"] = algorithm, ["Gateway:Environments:stage:Auth0:RequestFormat"] = format });
        using var caller = gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var assertion = Assert.Single(_sandbox.Assertions.Received);
        Assert.Equal(SandboxHost.ClientId, assertion.Issuer);
        Assert.Equal(SandboxHost.ClientId, assertion.Subject);
        Assert.Equal([_sandbox.BaseUrl + "/"], assertion.Audiences);   // the token URL's scheme and authority, with the slash
        Assert.Equal(algorithm, assertion.Algorithm);
        Assert.Equal("auth0-credential-1", assertion.KeyId);
        Assert.NotNull(assertion.IssuedAt);
        Assert.InRange(assertion.Expires!.Value - assertion.IssuedAt!.Value, 1, 60);
        Assert.False(string.IsNullOrEmpty(assertion.Jti));
    }

    [Fact]
    public async Task Every_token_request_sends_a_fresh_assertion()
    {
        await using var gateway = Gateway();
        using var caller = gateway.CreateCaller();
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync("/external/sources?projectId=1")).StatusCode);

        _sandbox.Issuer.RevokeAll();   // DataForge refuses the token: the gateway fetches another and replays
        using var response = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var assertions = _sandbox.Assertions.Received;
        Assert.Equal(2, assertions.Count);
        Assert.NotEqual(assertions[0].Jti, assertions[1].Jti);
        Assert.Equal(2, _sandbox.Recorder.TokensIssued);
    }

    [Fact]
    public async Task A_rotated_key_file_is_used_for_the_next_token_without_a_restart()
    {
        await using var gateway = Gateway();
        using var caller = gateway.CreateCaller();
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync("/external/sources?projectId=1")).StatusCode);

        // The new credential in Auth0 alone (the old one removed), the new key written over the Secret's file.
        using var next = RSA.Create(2048);
        _sandbox.Assertions.Register(next.ExportSubjectPublicKeyInfoPem());
        WriteKey(next);
        _sandbox.Issuer.RevokeAll();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, _sandbox.Recorder.TokensIssued);
    }

    [Fact]
    public async Task A_key_the_tenant_does_not_hold_gets_no_token_and_nothing_of_the_key_is_told()
    {
        using var stranger = RSA.Create(2048);
        _sandbox.Assertions.Register(stranger.ExportSubjectPublicKeyInfoPem());
        await using var gateway = Gateway();
        using var caller = gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        var problem = await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "token-unavailable");
        Assert.DoesNotContain("PRIVATE", problem.GetRawText(), StringComparison.Ordinal);
        Assert.Contains(gateway.Logs.Lines, line => line.Contains("invalid_client", StringComparison.Ordinal));
        Assert.Equal(0, _sandbox.Recorder.ApiCalls);
    }

    [Fact]
    public async Task A_key_file_that_goes_missing_is_a_token_failure_naming_the_setting_not_a_crash()
    {
        await using var gateway = Gateway(new() { ["Gateway:Tokens:RetryMaxDelayWithoutToken"] = "00:00:00.100" });
        using var caller = gateway.CreateCaller();
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync("/external/sources?projectId=1")).StatusCode);
        var key = File.ReadAllText(KeyPath);
        File.Delete(KeyPath);
        _sandbox.Issuer.RevokeAll();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "token-unavailable");
        Assert.Contains(gateway.Logs.Lines, line => line.Contains("PrivateKeyFile cannot be read", StringComparison.Ordinal));

        File.WriteAllText(KeyPath, key);
        await Eventually.HoldsAsync(async () => (await caller.GetAsync("/external/sources?projectId=1")).StatusCode == HttpStatusCode.OK, "served again once the key is back");
    }

    private GatewayHost Gateway(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:Environments:stage:Auth0:ClientSecret"] = "",
            ["Gateway:Environments:stage:Auth0:ClientAuthentication"] = "PrivateKeyJwt",
            ["Gateway:Environments:stage:Auth0:PrivateKeyFile"] = KeyPath,
            ["Gateway:Environments:stage:Auth0:KeyId"] = "auth0-credential-1",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new GatewayHost(_sandbox, settings);
    }

    /// <summary>As a Secret's update lands: a new file renamed over the old one.</summary>
    private void WriteKey(RSA key)
    {
        var temporary = KeyPath + ".new";
        File.WriteAllText(temporary, key.ExportPkcs8PrivateKeyPem());
        File.Move(temporary, KeyPath, overwrite: true);
    }
}

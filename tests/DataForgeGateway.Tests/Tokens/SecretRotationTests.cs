using System.Net;
using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>A client secret rotated in a mounted secret file takes effect without a restart.</summary>
public sealed class SecretRotationTests : IAsyncLifetime
{
    private const string SecretKey = "Gateway__Environments__stage__Auth0__ClientSecret";
    private readonly DirectoryInfo _secrets = Directory.CreateTempSubdirectory("dfgw-secrets-");
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        _secrets.Delete(recursive: true);
    }

    [Fact]
    public async Task A_rotated_secret_file_is_used_for_the_next_token_without_a_restart()
    {
        await File.WriteAllTextAsync(Path.Combine(_secrets.FullName, SecretKey), SandboxHost.ClientSecret);
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?>
        {
            ["Gateway:SecretsDirectory"] = _secrets.FullName,
            ["Gateway:Environments:stage:Auth0:ClientSecret"] = null,
        });
        using var caller = gateway.CreateCaller();
        using (var before = await caller.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        // Rotate in the tenant, then in the mounted secret; the old token is revoked with the old secret.
        const string rotated = "rotated-secret-5e6f7a";
        _sandbox.Switches.ClientSecret = rotated;
        await File.WriteAllTextAsync(Path.Combine(_secrets.FullName, SecretKey), rotated);
        var options = gateway.Services.GetRequiredService<LiveOptions<GatewayOptions>>();
        await Eventually.HoldsAsync(() => options.Current.Environments["stage"].Auth0.ClientSecret == rotated, "the rotated secret is loaded");
        _sandbox.Issuer.Revoke(_sandbox.Recorder.Requests[0].Authorization!["Bearer ".Length..]);

        using var after = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, _sandbox.Recorder.TokensIssued);
        Assert.DoesNotContain(rotated, string.Join('\n', gateway.Logs.Lines));
    }

    [Fact]
    public async Task A_rotation_to_an_invalid_value_is_ignored_and_the_gateway_keeps_serving()
    {
        await File.WriteAllTextAsync(Path.Combine(_secrets.FullName, SecretKey), SandboxHost.ClientSecret);
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?>
        {
            ["Gateway:SecretsDirectory"] = _secrets.FullName,
            ["Gateway:Environments:stage:Auth0:ClientSecret"] = null,
        });
        using var caller = gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        await File.WriteAllTextAsync(Path.Combine(_secrets.FullName, SecretKey), "   ");
        await Eventually.HoldsAsync(
            () => gateway.Logs.Lines.Any(line => line.Contains("Configuration change refused", StringComparison.Ordinal)),
            "the invalid change is reported");

        using var response = await caller.GetAsync("/external/sources?projectId=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(gateway.Logs.Lines, line => line.Contains("Gateway:Environments:stage:Auth0:ClientSecret is required.", StringComparison.Ordinal));
    }
}

using System.Net;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>A Secret updated by the kubelet (a <c>..data</c> symlink swapped to a new folder) reaches a running gateway.</summary>
public sealed class KubernetesSecretRotationTests : IAsyncLifetime
{
    private static readonly string OldKey = "k8s-old-key-" + Guid.NewGuid().ToString("N");
    private static readonly string NewKey = "k8s-new-key-" + Guid.NewGuid().ToString("N");
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task A_revoked_key_stops_working_and_a_new_one_works_after_the_kubelet_swaps_the_volume()
    {
        using var volume = new KubernetesSecretVolume(Files(OldKey));
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?>
        {
            ["Gateway:SecretsDirectory"] = volume.Path,
            ["Gateway:SecretsPollInterval"] = "00:00:00.200",
            ["Gateway:Environments:stage:Auth0:ClientSecret"] = null,
        });
        using var withOld = gateway.CreateCaller(OldKey);
        using var withNew = gateway.CreateCaller(NewKey);
        using (var before = await withOld.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        volume.Update(Files(NewKey));

        await Eventually.HoldsAsync(async () => await StatusAsync(withOld) == HttpStatusCode.Unauthorized, "the revoked key is refused");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(withNew));
    }

    [Fact]
    public async Task A_rotated_Redis_password_is_used_without_a_restart()
    {
        await using var redis = await RedisServer.StartAsync();
        var files = Files(OldKey);
        files["Gateway__Redis__ConnectionString"] = redis.ConnectionString;
        using var volume = new KubernetesSecretVolume(files);
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?>
        {
            ["Gateway:SecretsDirectory"] = volume.Path,
            ["Gateway:SecretsPollInterval"] = "00:00:00.200",
            ["Gateway:Environments:stage:Auth0:ClientSecret"] = null,
            ["Gateway:Redis:OperationTimeout"] = "00:00:00.300",
        });
        await Eventually.HoldsAsync(async () => await RedisReadinessAsync(gateway) == "Healthy", "Redis is healthy");

        // Redis gets a password and drops its clients, then the Secret gets the new connection string.
        const string password = "rotated-redis-password-81c2";
        await using (var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},allowAdmin=true"))
        {
            await admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "requirepass", password);
            await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "normal");
        }

        files["Gateway__Redis__ConnectionString"] = $"{redis.ConnectionString},password={password}";
        volume.Update(files);

        await Eventually.HoldsAsync(async () => await RedisReadinessAsync(gateway) == "Healthy" && await StatusAsync(gateway.CreateCaller(OldKey)) == HttpStatusCode.OK, "Redis is healthy again, with the new password");
        Assert.DoesNotContain(password, string.Join('\n', gateway.Logs.Lines));
    }

    [Fact]
    public async Task Keys_in_the_charts_ConfigMap_mounted_as_a_folder_rotate_without_a_restart_and_a_bad_change_is_refused()
    {
        // The chart's default shape: values.gateway rendered into appsettings.Production.json in a ConfigMap, mounted
        // as a folder (the kubelet swaps its ..data link on an update) and named by Gateway:SettingsFile.
        using var configMap = new KubernetesSecretVolume(new Dictionary<string, string> { ["appsettings.Production.json"] = Settings(OldKey) });
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?>
        {
            ["Gateway:SettingsFile"] = Path.Combine(configMap.Path, "appsettings.Production.json"),
            ["Gateway:SecretsPollInterval"] = "00:00:00.200",
        });
        using var withOld = gateway.CreateCaller(OldKey);
        using var withNew = gateway.CreateCaller(NewKey);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(withOld));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(withNew));

        configMap.Update(new Dictionary<string, string> { ["appsettings.Production.json"] = Settings(NewKey) });

        await Eventually.HoldsAsync(async () => await StatusAsync(withOld) == HttpStatusCode.Unauthorized, "the key taken out of the ConfigMap is refused");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(withNew));

        // A broken ConfigMap (a hash that is not one, then a file that is not JSON) is refused whole; the new key serves on.
        configMap.Update(new Dictionary<string, string> { ["appsettings.Production.json"] = Settings(NewKey).Replace(GatewayHost.Sha256(NewKey), "not-a-sha256", StringComparison.Ordinal) });
        await Eventually.HoldsAsync(() => gateway.Logs.Lines.Any(line => line.Contains("Configuration change refused", StringComparison.Ordinal) && line.Contains("Gateway:Callers:cm-svc:Keys:0:Sha256", StringComparison.Ordinal)), "the malformed hash is refused, naming its key");
        configMap.Update(new Dictionary<string, string> { ["appsettings.Production.json"] = "{ \"Gateway\": " });
        await Eventually.HoldsAsync(() => gateway.Logs.Lines.Count(line => line.Contains("Configuration change refused", StringComparison.Ordinal)) >= 2, "the file that is not JSON is refused");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(withNew));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(withOld));
    }

    private static string Settings(string key) =>
        $$"""{ "Gateway": { "Callers": { "cm-svc": { "Keys": [ { "Sha256": "{{GatewayHost.Sha256(key)}}" } ] } } } }""";

    private static Dictionary<string, string> Files(string key) => new()
    {
        ["Gateway__Environments__stage__Auth0__ClientSecret"] = SandboxHost.ClientSecret,
        ["Gateway__Callers__k8s-svc__Keys__0__Sha256"] = GatewayHost.Sha256(key),
    };

    private static async Task<HttpStatusCode> StatusAsync(HttpClient caller)
    {
        using var response = await caller.GetAsync("/external/sources?projectId=1");
        return response.StatusCode;
    }

    private static async Task<string?> RedisReadinessAsync(GatewayHost gateway)
    {
        using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };
        using var response = await management.GetAsync("/health/ready");
        var entries = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("entries");
        return entries.TryGetProperty("redis", out var redis) ? redis.GetProperty("status").GetString() : null;
    }
}

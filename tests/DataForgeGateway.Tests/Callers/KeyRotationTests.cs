using System.Diagnostics;
using System.Net;
using DataForgeGateway.Callers;
using DataForgeGateway.Hosting;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DataForgeGateway.Tests.Callers;

/// <summary>Keys rotate with overlap, and a revoked key is refused as soon as the configuration reloads.</summary>
public sealed class KeyRotationTests : IAsyncLifetime
{
    private readonly DirectoryInfo _secrets = Directory.CreateTempSubdirectory("dfgw-keys-");
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        _secrets.Delete(recursive: true);
    }

    [Fact]
    public async Task Two_live_keys_both_work_and_a_revoked_key_is_refused_after_reload()
    {
        var (oldId, oldKey) = ApiKeyFormat.New();
        var (newId, newKey) = ApiKeyFormat.New();
        await WriteKeyAsync(0, oldId, oldKey);
        await WriteKeyAsync(1, newId, newKey);
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?> { ["Gateway:SecretsDirectory"] = _secrets.FullName });
        using var withOld = gateway.CreateCaller(oldKey);
        using var withNew = gateway.CreateCaller(newKey);

        Assert.Equal(HttpStatusCode.OK, (await withOld.GetAsync("/external/sources?projectId=1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await withNew.GetAsync("/external/sources?projectId=1")).StatusCode);

        // The caller has moved to the new key: the old one is removed from the mounted secret.
        File.Delete(Path.Combine(_secrets.FullName, "Gateway__Callers__rotating-svc__Keys__0__Id"));
        File.Delete(Path.Combine(_secrets.FullName, "Gateway__Callers__rotating-svc__Keys__0__Sha256"));
        var callers = gateway.Services.GetRequiredService<LiveOptions<CallersOptions>>();
        await Eventually.HoldsAsync(() => callers.Current.Callers["rotating-svc"].Keys.TrueForAll(k => k.Id != oldId), "the revocation is loaded");

        using var refused = await withOld.GetAsync("/external/sources?projectId=1");
        await Problem.AssertAsync(refused, HttpStatusCode.Unauthorized, "api-key-invalid");
        Assert.Equal(HttpStatusCode.OK, (await withNew.GetAsync("/external/sources?projectId=1")).StatusCode);
        Assert.Equal(3, _sandbox.Recorder.Requests.Count);
        Assert.DoesNotContain(oldKey, string.Join('\n', gateway.Logs.Lines));
        Assert.DoesNotContain(newKey, string.Join('\n', gateway.Logs.Lines));
    }

    [Fact]
    public void Keys_new_prints_a_key_once_with_the_entry_that_makes_it_work()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.True(KeysCommand.TryRun(["keys", "new", "--caller", "billing-svc"], output, error, out var exitCode));

        Assert.Equal(0, exitCode);
        var text = output.ToString();
        var key = text.Split(['\n', ' '], StringSplitOptions.RemoveEmptyEntries).Single(word => word.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal));
        Assert.Equal(KeyShape.Valid, ApiKeyFormat.Inspect(key, out var keyId));
        Assert.Contains($"Gateway__Callers__billing-svc__Keys__N__Id={keyId.ToString()}", text);
        Assert.Contains($"Gateway__Callers__billing-svc__Keys__N__Sha256={GatewayHost.Sha256(key)}", text);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, System.Text.RegularExpressions.Regex.Escape(key)));
    }

    [Theory]
    [InlineData("keys")]
    [InlineData("keys new")]
    [InlineData("keys new --caller")]
    [InlineData("keys new --caller bad/name")]
    [InlineData("keys new --caller a --expires someday")]
    public void Keys_with_wrong_arguments_prints_usage_and_fails(string arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.True(KeysCommand.TryRun(arguments.Split(' '), output, error, out var exitCode));

        Assert.Equal(2, exitCode);
        Assert.StartsWith("usage: keys new --caller", error.ToString());
        Assert.Empty(output.ToString());
    }

    [Fact]
    public async Task The_gateway_process_mints_keys_without_any_configuration()
    {
        var gatewayDll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in new[] { gatewayDll, "keys", "new", "--caller", "billing-svc", "--expires", "2027-06-30" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Contains(ApiKeyFormat.Prefix, output);
        Assert.Contains("Gateway__Callers__billing-svc__Keys__N__Expires=2027-06-30T00:00:00.0000000+00:00", output);
    }

    private async Task WriteKeyAsync(int index, string id, string key)
    {
        await File.WriteAllTextAsync(Path.Combine(_secrets.FullName, $"Gateway__Callers__rotating-svc__Keys__{index}__Id"), id);
        await File.WriteAllTextAsync(Path.Combine(_secrets.FullName, $"Gateway__Callers__rotating-svc__Keys__{index}__Sha256"), GatewayHost.Sha256(key));
    }
}

using System.Diagnostics;
using System.Net;
using DataForgeGateway.Callers;
using DataForgeGateway.Primitives;
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
        Assert.Contains("export Gateway__Callers__billing_svc__Name=billing-svc", text);
        Assert.Contains($"export Gateway__Callers__billing_svc__Keys__N__Id={keyId.ToString()}", text);
        Assert.Contains($"export Gateway__Callers__billing_svc__Keys__N__Sha256={GatewayHost.Sha256(key)}", text);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, System.Text.RegularExpressions.Regex.Escape(key)));
    }

    [Fact]
    public async Task The_printed_exports_run_in_bash_and_configure_the_caller_under_its_own_name()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        KeysCommand.TryRun(["keys", "new", "--caller", "orders-svc"], output, error, out _);
        var text = output.ToString();
        var key = text.Split(['\n', ' '], StringSplitOptions.RemoveEmptyEntries).Single(word => word.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal));
        var exports = text.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith("export ", StringComparison.Ordinal)).Select(line => line.Replace("__N__", "__0__", StringComparison.Ordinal)).ToList();

        // As the README and the output say: pasted into bash, then read by the gateway from its environment.
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(string.Join('\n', exports.Append("env | grep '^Gateway__Callers__'")));
        using var bash = Process.Start(start)!;
        var environment = await bash.StandardOutput.ReadToEndAsync();
        var complaints = await bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();
        Assert.True(bash.ExitCode == 0 && complaints.Length == 0, complaints);

        var settings = environment.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0].Replace("__", ":", StringComparison.Ordinal), pair => (string?)pair[1]);
        await using var gateway = new GatewayHost(_sandbox, settings);
        using var caller = gateway.CreateCaller(key);

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.HoldsAsync(() => gateway.Logs.StandardOutput.Lines.Any(line => line.Contains("\"caller\":\"orders-svc\"", StringComparison.Ordinal)), "an audit record names the caller orders-svc");
    }

    [Theory]
    [InlineData("keys")]
    [InlineData("keys new")]
    [InlineData("keys new --caller")]
    [InlineData("keys new --caller bad/name")]
    [InlineData("keys new --caller a --expires someday")]
    [InlineData("keys new --caller a --expires 2020-01-01")]
    [InlineData("keys new --caller a --expiry 2030-01-01")]
    [InlineData("keys list")]
    public void Keys_with_wrong_arguments_says_what_is_wrong_prints_usage_and_fails(string arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.True(KeysCommand.TryRun(arguments.Split(' '), output, error, out var exitCode));

        Assert.Equal(2, exitCode);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("keys: ", lines[0]);
        Assert.StartsWith("usage: keys new --caller", lines[1]);
        Assert.Empty(output.ToString());
    }

    [Fact]
    public void An_expiry_in_the_past_is_refused_saying_so()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        KeysCommand.TryRun(["keys", "new", "--caller", "a", "--expires", "2020-01-01"], output, error, out _);

        Assert.Contains("is in the past", error.ToString());
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
        Assert.Contains("Gateway__Callers__billing_svc__Keys__N__Expires=2027-06-30T00:00:00.0000000+00:00", output);
    }

    private async Task WriteKeyAsync(int index, string id, string key)
    {
        await File.WriteAllTextAsync(Path.Combine(_secrets.FullName, $"Gateway__Callers__rotating-svc__Keys__{index}__Id"), id);
        await File.WriteAllTextAsync(Path.Combine(_secrets.FullName, $"Gateway__Callers__rotating-svc__Keys__{index}__Sha256"), GatewayHost.Sha256(key));
    }
}

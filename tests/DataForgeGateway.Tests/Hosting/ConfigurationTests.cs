using System.Diagnostics;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>A misconfigured gateway process refuses to start, with one line naming the wrong key and no secret.</summary>
public sealed class ConfigurationTests
{
    private const string Secret = "top-secret-value-71";

    public static TheoryData<string, string, string> Misconfigurations => new()
    {
        { "Gateway:Environments:stage:Auth0:ClientSecret", "", "Gateway:Environments:stage:Auth0:ClientSecret is required." },
        { "Gateway:Environments:stage:Auth0:ClientId", "", "Gateway:Environments:stage:Auth0:ClientId is required." },
        { "Gateway:Environments:stage:Auth0:Audience", "", "Gateway:Environments:stage:Auth0:Audience is required." },
        { "Gateway:Environments:stage:Auth0:Domain", "https://tenant.auth0.com/", "Gateway:Environments:stage:Auth0:Domain must be a host name" },
        { "Gateway:Environments:stage:Auth0:TokenUrl", "not a url", "Gateway:Environments:stage:Auth0:TokenUrl must be an absolute http or https URL." },
        { "Gateway:Environments:stage:BaseUrl", "ftp://x", "Gateway:Environments:stage:BaseUrl is required and must be an absolute http or https URL." },
        { "Gateway:DefaultEnvironment", "prod", "Gateway:DefaultEnvironment names an environment that is not under Gateway:Environments." },
        { "Gateway:Callers:billing-svc:Keys:0:Sha256", "secret-in-plain-text", "Gateway:Callers:billing-svc:Keys:0:Sha256 must be the lower-case hex SHA-256" },
        { "Gateway:Tokens:RequestTimeout", "00:00:00", "Gateway:Tokens:RequestTimeout must be more than zero" },
        { "Gateway:Management:Url", "http://127.0.0.1:0", "Gateway:Management:Url must be an http URL with a fixed, non-zero port" },
        { "Gateway:Redis:ConnectionString", ",,,", "Gateway:Redis:ConnectionString is not a valid StackExchange.Redis connection string" },
        { "Gateway:SecretsDirectory", "/no/such/folder", "Gateway:SecretsDirectory names a folder that does not exist." },
        { "Gateway:CallersFile", "/no/such/callers.json", "Gateway:CallersFile names a file that does not exist." },
        { "Gateway:Callers:billing-svc:ProjectIds:0", "1", "Gateway:Callers:billing-svc:SourceIds is required with ProjectIds" },
        { "Gateway:Callers:billing-svc:ProjectId:0", "1", "Gateway:Callers:billing-svc:ProjectId:0 is not a setting the gateway knows: did you mean Gateway:Callers:billing-svc:ProjectIds:0?" },
        { "Gateway:Redis:ConnectonString", "127.0.0.1:6379", "Gateway:Redis:ConnectonString is not a setting the gateway knows: did you mean Gateway:Redis:ConnectionString?" },
        { "Gateway:Tokens:RetryMaxDelayy", "00:00:10", "Gateway:Tokens:RetryMaxDelayy is not a setting the gateway knows: did you mean Gateway:Tokens:RetryMaxDelay?" },
        { "Gateway:Nonsense:Thing", "1", "Gateway:Nonsense:Thing is not a setting the gateway knows." },
        { "urls", "127.0.0.1:5180", "Urls (--urls, ASPNETCORE_URLS) holds '127.0.0.1:5180', which is not a URL to listen on" },
        { "Gateway:Redis:ConnectionString", "redis://:secret@/0", "Gateway:Redis:ConnectionString is not a valid StackExchange.Redis connection string" },
        { "Gateway:Environments:stage:OperationTimeouts:sourcepull", "00:00:10", "Gateway:Environments:stage:OperationTimeouts:sourcepull names no DataForge operation" },
        { "Gateway:RateLimits:FailedAuthentication:Burst", "0", "Gateway:RateLimits:FailedAuthentication:Burst must be from 1 to 1000000." },
        { "Gateway:Metrics:AllFrameworkInstruments", "yes", "Gateway:Metrics:AllFrameworkInstruments cannot be read as Boolean." },
        { "Gateway:Audit:Stdout", "maybe", "Gateway:Audit:Stdout cannot be read as Boolean." },
        { "Gateway:Tokens:RequestTimeout", "ten seconds", "Gateway:Tokens:RequestTimeout cannot be read as TimeSpan." },
        { "Gateway:Ingress:KnownNetworks:0", "10.42.0.0/16", "Gateway:Ingress:KnownNetworks:0 is a /16: everyone in it, callers included, could forge X-Forwarded-For." },
        { "HostOptions:ShutdownTimout", "00:00:20", "HostOptions:ShutdownTimout is not a setting the gateway knows: did you mean HostOptions:ShutdownTimeout?" },
        { "HostOptions:ShutdownTimeout", "soon", "HostOptions:ShutdownTimeout cannot be read as TimeSpan." },
        { "Gatway:DefaultEnvironment", "stage", "Gatway:DefaultEnvironment is not a setting the gateway knows: did you mean Gateway:DefaultEnvironment?" },
        { "Kestrel:Limits:MaxRequestHeaderTotalSize", "65536", "Kestrel:Limits:MaxRequestHeaderTotalSize is not a setting the gateway knows: did you mean Kestrel:Limits:MaxRequestHeadersTotalSize?" },
        { "Gateway:Redis:ReadinessWhenDown", "Sometimes", "Gateway:Redis:ReadinessWhenDown cannot be read as" },
        { "Gateway:Environments:stage:Auth0:PrivateKeyFile", "/run/secrets/auth0.pem", "Gateway:Environments:stage:Auth0:PrivateKeyFile is set but Gateway:Environments:stage:Auth0:ClientAuthentication is not PrivateKeyJwt" },
        { "Gateway:Callers:billing-svc:Workloads:0:Subject", "system:serviceaccount:billing:billing-svc", "Gateway:Callers:billing-svc:Workloads:0:Issuer must name an issuer under Gateway:WorkloadIdentity:Issuers." },
        { "Gateway:WorkloadIdentity:MinRefreshInterval", "00:05:00", "Gateway:WorkloadIdentity:MinRefreshInterval must be between 1 second and 1 minute" },
        { "Gateway:WorkloadIdentity:ClockSkw", "00:00:30", "Gateway:WorkloadIdentity:ClockSkw is not a setting the gateway knows: did you mean Gateway:WorkloadIdentity:ClockSkew?" },
        { "Gateway:Management:ShutdownDelay", "00:05:00", "Gateway:Management:ShutdownDelay must be between 00:00:00 and 00:01:00." },
    };

    [Theory]
    [MemberData(nameof(Misconfigurations))]
    public async Task A_wrong_setting_stops_start_up_with_one_line_naming_the_key(string key, string value, string expected)
    {
        var (exitCode, stdout, stderr) = await RunGatewayAsync(new() { [key] = value });

        Assert.Equal(78, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Configuration error: {expected}", line);
        Assert.DoesNotContain(Secret, stdout + stderr);
        Assert.DoesNotContain("   at ", stdout + stderr); // no stack trace
    }

    [Fact]
    public async Task The_management_port_cannot_be_the_proxy_port()
    {
        var port = FreePort.Next();

        var (exitCode, _, stderr) = await RunGatewayAsync(new()
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["Gateway:Management:Url"] = $"http://127.0.0.1:{port}",
        });

        Assert.Equal(78, exitCode);
        Assert.StartsWith($"Configuration error: Gateway:Management:Url uses port {port}, which the proxy listens on too", stderr);
    }

    [Fact]
    public async Task A_port_another_process_holds_stops_start_up_with_a_line_naming_the_setting()
    {
        var port = FreePort.Next();
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        holder.Start();

        var (exitCode, _, stderr) = await RunGatewayAsync(new() { ["urls"] = $"http://127.0.0.1:{port}" });

        Assert.Equal(78, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Configuration error: Failed to bind to address http://127.0.0.1:{port}: address already in use.", line);
        Assert.Contains("--urls", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_wrong_settings_get_a_line_each()
    {
        var (exitCode, _, stderr) = await RunGatewayAsync(new()
        {
            ["Gateway:Environments:stage:Auth0:ClientId"] = "",
            ["Gateway:Environments:stage:Auth0:Audience"] = "",
        });

        Assert.Equal(78, exitCode);
        Assert.Equal(2, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task A_key_prefix_with_a_hash_tag_is_refused_since_it_would_put_every_key_in_one_cluster_slot()
    {
        var (exitCode, _, stderr) = await RunGatewayAsync(new()
        {
            ["Gateway:Redis:ConnectionString"] = "127.0.0.1:1,connectTimeout=100",
            ["Gateway:Redis:InstanceName"] = "gateway{prod}:",
        });

        Assert.Equal(78, exitCode);
        Assert.StartsWith("Configuration error: Gateway:Redis:InstanceName must not contain '{' or '}'", stderr);
    }

    /// <summary>Runs the built gateway with a valid configuration changed by <paramref name="overrides"/>, until it exits.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunGatewayAsync(Dictionary<string, string> overrides)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Gateway:Management:Url"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Gateway:DefaultEnvironment"] = "stage",
            ["Gateway:Environments:stage:BaseUrl"] = "https://stage.api.dataforgedev.com",
            ["Gateway:Environments:stage:Auth0:Domain"] = "dataforgedev.us.auth0.com",
            ["Gateway:Environments:stage:Auth0:ClientId"] = "client",
            ["Gateway:Environments:stage:Auth0:ClientSecret"] = Secret,
            ["Gateway:Environments:stage:Auth0:Audience"] = "https://stage.api.dataforgedev.com",
            ["Gateway:Callers:billing-svc:Keys:0:Sha256"] = GatewayHost.Sha256(GatewayHost.CallerKey),
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var gatewayDll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = Path.GetDirectoryName(gatewayDll)!,
        };
        start.ArgumentList.Add(gatewayDll);
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException("The gateway started instead of refusing its configuration.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

using System.Net;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Callers;

/// <summary>
/// Callers kept in <c>Gateway:CallersFile</c> (the shape for many of them) serve like configured ones, change without a
/// restart when the file is swapped, and a file that cannot be used is refused whole, in sequence, each refusal
/// leaving the last good callers in force.
/// </summary>
public sealed class CallersFileTests : IAsyncLifetime
{
    private static readonly string OldKey = "file-old-key-" + Guid.NewGuid().ToString("N");
    private static readonly string NewKey = "file-new-key-" + Guid.NewGuid().ToString("N");
    private static readonly string LaterKey = "file-later-key-" + Guid.NewGuid().ToString("N");
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task Callers_of_a_callers_file_serve_change_without_a_restart_and_a_file_that_cannot_be_used_is_refused_whole()
    {
        using var volume = new KubernetesSecretVolume(new Dictionary<string, string> { ["callers.json"] = Callers(("file-svc", OldKey)) });
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?>
        {
            ["Gateway:CallersFile"] = Path.Combine(volume.Path, "callers.json"),
            ["Gateway:SecretsPollInterval"] = "00:00:00.200",
        });
        using var withOld = gateway.CreateCaller(OldKey);
        using var withNew = gateway.CreateCaller(NewKey);
        using var withLater = gateway.CreateCaller(LaterKey);
        using var configured = gateway.CreateCaller(GatewayHost.CallerKey);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(withOld));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(withNew));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(configured));   // the configuration's callers alongside
        using (var otherProject = await withOld.GetAsync("/external/sources?projectId=2"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, otherProject.StatusCode);   // the file's permissions hold too
        }

        volume.Update(new Dictionary<string, string> { ["callers.json"] = Callers(("file-svc", NewKey)) });
        await Eventually.HoldsAsync(async () => await StatusAsync(withOld) == HttpStatusCode.Unauthorized, "the key taken out of the file is refused");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(withNew));

        // Each refused whole (the good caller beside the bad one is not taken either), in sequence, each from the state the last left.
        var refusals = new (string? File, string Names)[]
        {
            (Callers(("file-svc", NewKey), ("later-svc", LaterKey)).Replace($"\"{GatewayHost.Sha256(NewKey)}\"", "\"not-a-sha256\"", StringComparison.Ordinal), "Gateway:CallersFile: file-svc:Keys:0:Sha256 must be the lower-case hex SHA-256"),
            (Callers(("file-svc", NewKey), (GatewayHost.CallerName, LaterKey)), $"Gateway:CallersFile: {GatewayHost.CallerName} is also configured under Gateway:Callers"),
            (Callers(("file-svc", NewKey), ("later-svc", LaterKey)).Replace("\"Keys\"", "\"Kyes\"", StringComparison.Ordinal), "Gateway:CallersFile: file-svc:Kyes is not a setting of a caller the gateway knows"),
            ("{ \"file-svc\": ", "Gateway:CallersFile: file-svc is not valid JSON (line 1)."),
            (null, "Gateway:CallersFile names a file that does not exist."),
        };
        foreach (var (file, names) in refusals)
        {
            var before = Refusals(gateway);
            volume.Update(file is null ? new Dictionary<string, string> { ["other.json"] = "{}" } : new Dictionary<string, string> { ["callers.json"] = file });
            await Eventually.HoldsAsync(() => Refusals(gateway) > before, $"the change is refused ({names})");
            var line = gateway.Logs.Lines.Last(l => l.Contains("Configuration change refused", StringComparison.Ordinal));
            Assert.Contains(names, line, StringComparison.Ordinal);
            Assert.DoesNotContain(GatewayHost.Sha256(LaterKey), line, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(withNew));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(withLater));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(configured));
        }

        // And a good file after them all is taken.
        volume.Update(new Dictionary<string, string> { ["callers.json"] = Callers(("file-svc", NewKey), ("later-svc", LaterKey)) });
        await Eventually.HoldsAsync(async () => await StatusAsync(withLater) == HttpStatusCode.OK, "the caller added to a good file serves");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(withNew));
    }

    private static int Refusals(GatewayHost gateway) => gateway.Logs.Lines.Count(line => line.Contains("Configuration change refused", StringComparison.Ordinal));

    /// <summary>A callers file: each caller with one key, the projects and sources it may use (numbers as numbers, as operators write them).</summary>
    private static string Callers(params (string Name, string Key)[] callers) =>
        "{" + string.Join(",", callers.Select(c => $$"""
            "{{c.Name}}": { "Keys": [ { "Sha256": "{{GatewayHost.Sha256(c.Key)}}" } ], "ProjectIds": [ 1 ], "SourceIds": [ 19643 ], "Operations": [ "sources" ] }
            """)) + "}";

    private static async Task<HttpStatusCode> StatusAsync(HttpClient caller)
    {
        using var response = await caller.GetAsync("/external/sources?projectId=1");
        return response.StatusCode;
    }
}

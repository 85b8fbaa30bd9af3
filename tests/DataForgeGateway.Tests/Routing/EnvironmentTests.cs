using System.Net;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Routing;

/// <summary>Several DataForge environments, each with its own tenant, token and callers.</summary>
public sealed class EnvironmentTests : IAsyncLifetime
{
    private SandboxHost _stage = null!;
    private SandboxHost _prod = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _stage = await SandboxHost.StartAsync();
        _prod = await SandboxHost.StartAsync();
        _gateway = new GatewayHost(_stage, GatewayHost.SecondEnvironment(_prod));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _prod.DisposeAsync();
        await _stage.DisposeAsync();
    }

    [Fact]
    public async Task Each_environment_gets_its_own_requests_and_its_own_token()
    {
        using var caller = _gateway.CreateCaller();

        using var viaDefault = await caller.GetAsync("/external/sources?projectId=1");
        using var viaStage = await caller.GetAsync("/stage/external/sources?projectId=1");
        using var viaProd = await caller.PostAsync("/prod/external/source-pull/19643", null);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { viaDefault.StatusCode, viaStage.StatusCode, viaProd.StatusCode });
        Assert.Equal(2, _stage.Recorder.Requests.Count);
        var prod = Assert.Single(_prod.Recorder.Requests);
        Assert.Equal("/external/source-pull/19643", prod.Path);
        Assert.True(_prod.Issuer.IsValid(prod.Authorization!["Bearer ".Length..]));
        Assert.False(_stage.Issuer.IsValid(prod.Authorization!["Bearer ".Length..]));
        Assert.Equal((1, 1), (_stage.Recorder.TokensIssued, _prod.Recorder.TokensIssued));
    }

    [Fact]
    public async Task A_caller_without_the_environment_gets_403_naming_it_and_nothing_is_forwarded()
    {
        using var caller = _gateway.CreateCaller(GatewayHost.OtherCallerKey);

        using var allowed = await caller.GetAsync("/external/sources?projectId=1");
        using var forbidden = await caller.GetAsync("/prod/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var problem = await Problem.AssertAsync(forbidden, HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("'prod'", problem.GetProperty("detail").GetString());
        Assert.Empty(_prod.Recorder.Requests);
    }

    [Fact]
    public async Task An_unknown_environment_is_403_like_one_the_caller_may_not_use()
    {
        using var caller = _gateway.CreateCaller();

        using var response = await caller.GetAsync("/qa/external/sources?projectId=1");

        var problem = await Problem.AssertAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("'qa'", problem.GetProperty("detail").GetString());
    }
}

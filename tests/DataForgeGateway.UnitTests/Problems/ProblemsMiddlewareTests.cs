using System.Diagnostics;
using System.Text.Json;
using DataForgeGateway.Primitives;
using DataForgeGateway.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DataForgeGateway.UnitTests.Problems;

/// <summary>What callers get when a stage fails or sets a bare status: a problem with a stable type, nothing more.</summary>
public sealed class ProblemsMiddlewareTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().AddGatewayProblemDetails().BuildServiceProvider();

    [Theory]
    [InlineData(404, "route-not-found")]
    [InlineData(405, "method-not-allowed")]
    [InlineData(502, "upstream-unavailable")]
    [InlineData(504, "upstream-timeout")]
    public async Task A_bare_error_status_gets_the_problem_that_goes_with_it(int status, string slug)
    {
        var (context, body) = await RunAsync(context =>
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        });

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal(GatewayProblem.TypePrefix + slug, body!.Value.GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_exception_is_a_500_that_shows_nothing_of_its_message_and_carries_the_trace_id()
    {
        var trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        var (context, body) = await RunAsync(
            _ => throw new InvalidOperationException("client_secret=hunter2"),
            context => context.Features.Set<IRequestTraceFeature>(new Trace(trace)));

        Assert.Equal(500, context.Response.StatusCode);
        Assert.Equal(GatewayProblem.InternalError.Type, body!.Value.GetProperty("type").GetString());
        Assert.DoesNotContain("hunter2", body.Value.ToString());
        Assert.Equal(RequestTrace.TraceParent(trace), body.Value.GetProperty("traceId").GetString());
    }

    [Fact]
    public async Task A_body_a_stage_wrote_is_left_alone()
    {
        var (_, body) = await RunAsync(async context =>
        {
            context.Response.StatusCode = 409;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"own":true}""");
        });

        Assert.True(body!.Value.GetProperty("own").GetBoolean());
    }

    [Fact]
    public async Task A_request_the_caller_abandoned_is_499_without_a_body()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        var (context, body) = await RunAsync(_ => throw new OperationCanceledException(), context => context.RequestAborted = aborted.Token);

        Assert.Equal(ProblemsMiddleware.ClientClosedRequest, context.Response.StatusCode);
        Assert.Null(body);
    }

    public void Dispose() => _services.Dispose();

    private async Task<(HttpContext Context, JsonElement? Body)> RunAsync(RequestDelegate next, Action<HttpContext>? prepare = null)
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        var output = new MemoryStream();
        context.Response.Body = output;
        prepare?.Invoke(context);
        var middleware = ActivatorUtilities.CreateInstance<ProblemsMiddleware>(_services, next);

        await middleware.InvokeAsync(context);

        return (context, output.Length == 0 ? null : JsonDocument.Parse(output.ToArray()).RootElement.Clone());
    }

    private sealed record Trace(ActivityContext Value) : IRequestTraceFeature
    {
        ActivityContext IRequestTraceFeature.Trace => Value;
    }
}

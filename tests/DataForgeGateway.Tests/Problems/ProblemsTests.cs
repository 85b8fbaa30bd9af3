using System.Net;
using System.Net.Http.Headers;
using DataForgeGateway.Problems;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataForgeGateway.Tests.Problems;

/// <summary>
/// Errors are problem+json whatever the caller asked for, and a failure inside the gateway is a 500 problem that
/// tells the caller nothing of what failed and the operator all of it.
/// </summary>
public sealed class ProblemsTests : GatewayTest
{
    private const string Failure = "the handler broke on purpose: c0ffee";

    [Theory]
    [InlineData("/external/sources?projectId=1", HttpStatusCode.Unauthorized, "api-key-missing")]
    [InlineData("/external/nothing", HttpStatusCode.NotFound, "route-not-found")]
    public async Task A_caller_that_accepts_no_json_still_gets_the_problem(string path, HttpStatusCode status, string slug)
    {
        using var caller = Gateway.CreateCaller(apiKey: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        using var response = await caller.SendAsync(request);

        await Problem.AssertAsync(response, status, slug);
    }

    [Fact]
    public async Task An_exception_is_a_500_problem_without_its_message_and_is_logged()
    {
        var logs = new CapturedLogs();
        await using var app = await StartAsync(logs, _ => throw new InvalidOperationException(Failure));
        using var client = new HttpClient { BaseAddress = Address(app) };

        using var response = await client.GetAsync("/external/sources");

        var problem = await Problem.AssertAsync(response, HttpStatusCode.InternalServerError, "internal-error");
        Assert.DoesNotContain("c0ffee", problem.ToString(), StringComparison.Ordinal);
        Assert.False(problem.TryGetProperty("detail", out _));
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Contains(logs.Lines, line => line.StartsWith("Error ", StringComparison.Ordinal) && line.Contains("c0ffee", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_exception_after_the_response_started_cuts_it_short_rather_than_passing_it_as_whole()
    {
        var logs = new CapturedLogs();
        await using var app = await StartAsync(logs, async context =>
        {
            context.Response.ContentLength = 100;
            await context.Response.WriteAsync("partial");
            await context.Response.Body.FlushAsync();
            throw new InvalidOperationException(Failure);
        });
        using var client = new HttpClient { BaseAddress = Address(app) };

        await Assert.ThrowsAnyAsync<HttpRequestException>(async () => await (await client.GetAsync("/")).Content.ReadAsStringAsync());
        Assert.Contains(logs.Lines, line => line.StartsWith("Error ", StringComparison.Ordinal) && line.Contains("c0ffee", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bare_error_status_gets_its_problem_and_a_written_body_is_left_alone()
    {
        await using var app = await StartAsync(new CapturedLogs(), context =>
        {
            if (context.Request.Path == "/bare")
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                return Task.CompletedTask;
            }

            context.Response.StatusCode = StatusCodes.Status409Conflict;
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("DataForge's own words");
        });
        using var client = new HttpClient { BaseAddress = Address(app) };

        using var bare = await client.GetAsync("/bare");
        using var written = await client.GetAsync("/written");

        await Problem.AssertAsync(bare, HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Equal(HttpStatusCode.Conflict, written.StatusCode);
        Assert.Equal("DataForge's own words", await written.Content.ReadAsStringAsync());
    }

    /// <summary>The gateway's problem handling in front of <paramref name="handler"/>, on a real port.</summary>
    private static async Task<WebApplication> StartAsync(CapturedLogs logs, RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddGatewayProblemDetails();
        var app = builder.Build();
        app.UseGatewayProblemDetails();
        app.Run(handler);
        await app.StartAsync();
        return app;
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
}

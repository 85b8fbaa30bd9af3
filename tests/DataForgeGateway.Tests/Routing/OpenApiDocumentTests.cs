using System.Net;
using System.Text.Json;
using DataForgeGateway.Problems;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace DataForgeGateway.Tests.Routing;

/// <summary>The OpenAPI document on the proxy port describes exactly what the gateway serves.</summary>
public sealed class OpenApiDocumentTests : GatewayTest
{
    [Fact]
    public async Task The_document_is_served_without_a_key_as_OpenAPI_3_1()
    {
        using var anonymous = new HttpClient { BaseAddress = Gateway.ProxyAddress };

        using var response = await anonymous.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("3.1.0", document.GetProperty("openapi").GetString());
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal(("apiKey", "header", "X-Api-Key"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("in").GetString(), scheme.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Every_route_the_gateway_serves_is_documented_and_every_documented_operation_is_served()
    {
        var document = await DocumentAsync();
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(method => $"{method.Name.ToUpperInvariant()} {path.Name}"))
            .ToHashSet();
        var served = Gateway.Services.GetRequiredService<IProxyConfigProvider>().GetConfig().Routes
            .SelectMany(route => route.Match.Methods!.Select(method => $"{method} {route.Match.Path!.Replace("/stage/", "/{environment}/", StringComparison.Ordinal)}"))
            .ToHashSet();

        Assert.Equal(served.Order(), documented.Order());

        // And each documented operation answers on its path (not 404 or 405), with the caller's key.
        using var caller = Gateway.CreateCaller();
        foreach (var operation in documented)
        {
            var (method, template) = (operation.Split(' ')[0], operation.Split(' ')[1]);
            var path = template.Replace("{environment}", "stage", StringComparison.Ordinal).Replace("{sourceId}", "19709", StringComparison.Ordinal).Replace("{filter}", "demo", StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (path.EndsWith("inputs-filtered", StringComparison.Ordinal))
            {
                request.Content = new StringContent("""{"source_id":"19709","limit":"1","effective_filter":"false"}""", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await caller.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{operation}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task Every_problem_type_is_documented_with_its_status()
    {
        var text = (await DocumentAsync()).GetRawText();
        var document = await DocumentAsync();

        foreach (var problem in GatewayProblem.All)
        {
            Assert.Contains($"\"{problem.Type}\"", text, StringComparison.Ordinal);
            var documentedUnderItsStatus = document.GetProperty("paths").EnumerateObject()
                .SelectMany(path => path.Value.EnumerateObject())
                .Any(operation => operation.Value.GetProperty("responses").TryGetProperty(problem.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response)
                    && response.GetRawText().Contains(problem.Type, StringComparison.Ordinal));
            Assert.True(documentedUnderItsStatus || problem == GatewayProblem.RouteNotFound || problem == GatewayProblem.MethodNotAllowed, problem.Slug);
        }
    }

    [Fact]
    public async Task Source_pull_documents_the_idempotency_key_and_reads_the_rate_limit_headers()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");

        var pull = paths.GetProperty("/external/source-pull/{sourceId}").GetProperty("post");
        Assert.Contains(pull.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("in").GetString() == "header");
        var sources = paths.GetProperty("/external/sources").GetProperty("get");
        var ok = sources.GetProperty("responses").GetProperty("200").GetProperty("headers");
        Assert.True(ok.TryGetProperty("RateLimit", out _));
        Assert.True(ok.TryGetProperty("RateLimit-Policy", out _));
        var body = paths.GetProperty("/external/inputs-filtered").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal(["source_id", "limit", "effective_filter"], body.GetProperty("required").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public async Task The_README_lists_every_problem_type()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(DataForgeGateway.Tests.Hosting.ConfigurationExampleTests.RepositoryRoot(), "README.md"));

        Assert.All(GatewayProblem.All, problem => Assert.Contains(problem.Slug, readme, StringComparison.Ordinal));
    }

    private async Task<JsonElement> DocumentAsync()
    {
        using var anonymous = new HttpClient { BaseAddress = Gateway.ProxyAddress };
        return JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json")).RootElement.Clone();
    }
}

using System.Text;
using System.Text.Json;
using DataForgeGateway.Api;
using DataForgeGateway.Primitives;
using DataForgeGateway.Problems;
using DataForgeGateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DataForgeGateway.UnitTests.Routing;

/// <summary>
/// Request validation against the operations' definitions, on a <see cref="DefaultHttpContext"/>: what passes, and
/// the canonical form DataForge is then sent; what is refused, and which field the 400 names.
/// </summary>
public sealed class RequestValidationTests : IDisposable
{
    private readonly ServiceProvider _services;

    public RequestValidationTests()
    {
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddLogging()
            .AddLiveOptions();
        services.AddOptions<RequestOptions>();
        services.AddGatewayProblemDetails();
        _services = services.BuildServiceProvider();
    }

    public static TheoryData<string, string, string> Forwarded => new()
    {
        { "source-pull", "/external/source-pull/42", "/external/source-pull/42" },
        { "source-pull", "/stage/external/source-pull/42", "/external/source-pull/42" },
        { "sources", "/external/sources?projectId=7", "/external/sources?projectId=7" },
        { "sources", "/external/sources", "/external/sources" },
        { "sources-filtered-by-name", "/external/sources-filtered-by-name/a%20b?projectId=3", "/external/sources-filtered-by-name/a%20b?projectId=3" },
        { "sources-filtered-by-name", "/external/sources-filtered-by-name/caf%C3%A9", "/external/sources-filtered-by-name/caf%C3%A9" },
        { "sources-filtered-by-name", "/external/sources-filtered-by-name/%2525", "/external/sources-filtered-by-name/%2525" },
        { "sources-filtered-by-name", "/external/sources-filtered-by-name/a+b", "/external/sources-filtered-by-name/a%2Bb" },
    };

    [Theory]
    [MemberData(nameof(Forwarded))]
    public async Task A_valid_request_goes_on_with_its_canonical_target(string operation, string target, string canonical)
    {
        var (status, parameters, _, forwarded) = await ValidateAsync(operation, target);

        Assert.True(forwarded, $"refused with {status}");
        Assert.True(parameters!.IsValid);
        Assert.Equal(canonical, parameters.PathAndQuery());
    }

    public static TheoryData<string, string, string> RefusedTargets => new()
    {
        { "source-pull", "/external/source-pull/4x2", "sourceId" },
        { "source-pull", "/external/source-pull/1234567890123456789", "sourceId" },
        { "source-pull", "/external/source-pull/42?projectId=1", "projectId" },
        { "sources", "/external/sources?projectId=1&projectId=2", "projectId" },
        { "sources", "/external/sources?projectId=-1", "projectId" },
        { "sources", "/external/sources?limit=5", "limit" },
        { "sources-filtered-by-name", "/external/sources-filtered-by-name/%2F", "filter" },
        { "sources-filtered-by-name", "/external/sources-filtered-by-name/..", "filter" },
        { "sources-filtered-by-name", "/external/sources-filtered-by-name/%zz", "filter" },
        { "sources-filtered-by-name", "/external/sources-filtered-by-name/%00", "filter" },
    };

    [Theory]
    [MemberData(nameof(RefusedTargets))]
    public async Task A_bad_parameter_is_a_400_naming_the_field(string operation, string target, string field)
    {
        var (status, _, problem, forwarded) = await ValidateAsync(operation, target);

        Assert.False(forwarded);
        Assert.Equal(400, status);
        Assert.Equal(GatewayProblem.InvalidRequest.Type, problem!.Value.GetProperty("type").GetString());
        Assert.True(problem.Value.GetProperty("errors").TryGetProperty(field, out _), problem.Value.ToString());
    }

    [Theory]
    [InlineData("""{"source_id":"19709","limit":"100","effective_filter":"false"}""")]
    [InlineData("""{"source_id":19709,"limit":100,"effective_filter":false}""")]
    [InlineData("""{"effective_filter":"false","limit":"0100","source_id":"19709"}""")]
    public async Task An_inputs_filter_is_sent_as_the_vendors_strings_whatever_form_it_came_in(string body)
    {
        var (_, parameters, _, forwarded) = await ValidateAsync("inputs-filtered", "/external/inputs-filtered", body);

        Assert.True(forwarded);
        Assert.Equal("19709", parameters!.SourceId);
        Assert.Equal("""{"source_id":"19709","limit":"100","effective_filter":"false"}""", Encoding.UTF8.GetString(parameters.CanonicalBody()));
    }

    [Theory]
    [InlineData("""{"source_id":"19709","effective_filter":"false"}""", "limit")]
    [InlineData("""{"source_id":"19709","limit":"1001","effective_filter":"false"}""", "limit")]
    [InlineData("""{"source_id":"abc","limit":"1","effective_filter":"false"}""", "source_id")]
    [InlineData("""{"source_id":"1","limit":"1","effective_filter":"maybe"}""", "effective_filter")]
    [InlineData("""{"source_id":"1","limit":"1","effective_filter":"true","extra":1}""", "extra")]
    [InlineData("""{"source_id":"1","source_id":"2","limit":"1","effective_filter":"true"}""", "source_id")]
    [InlineData("""{"source_id":"\ud800","limit":"1","effective_filter":"true"}""", "body")]
    [InlineData("""[1,2]""", "body")]
    [InlineData("""not json""", "body")]
    public async Task A_bad_body_is_a_400_naming_the_field(string body, string field)
    {
        var (status, _, problem, forwarded) = await ValidateAsync("inputs-filtered", "/external/inputs-filtered", body);

        Assert.False(forwarded);
        Assert.Equal(400, status);
        Assert.True(problem!.Value.GetProperty("errors").TryGetProperty(field, out _), problem.Value.ToString());
    }

    [Theory]
    [InlineData("text/plain", null, 415)]
    [InlineData("application/json; charset=latin1", null, 415)]
    [InlineData("application/json", "gzip", 415)]
    public async Task A_body_that_is_not_plain_UTF8_JSON_is_a_415(string contentType, string? encoding, int expected)
    {
        var (status, _, _, forwarded) = await ValidateAsync("inputs-filtered", "/external/inputs-filtered", "{}", contentType, encoding);

        Assert.False(forwarded);
        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData("application/json; charset=\"UTF-8\"", false)]   // a quoted parameter value, as RFC 9110 allows
    [InlineData("application/json; charset=utf-8", true)]          // a UTF-8 byte-order mark before the JSON text
    public async Task A_quoted_charset_and_a_byte_order_mark_are_accepted_and_the_checked_values_forwarded(string contentType, bool byteOrderMark)
    {
        var body = (byteOrderMark ? "\uFEFF" : "") + """{"source_id":"19709","limit":"100","effective_filter":"false"}""";

        var (status, parameters, problem, forwarded) = await ValidateAsync("inputs-filtered", "/external/inputs-filtered", body, contentType);

        Assert.True(forwarded, problem?.ToString());
        Assert.Equal(200, status);
        Assert.Equal("19709", parameters!.SourceId);
    }

    [Fact]
    public async Task A_body_on_an_operation_that_takes_none_is_a_400()
    {
        var (status, _, problem, _) = await ValidateAsync("sources", "/external/sources", "{}");

        Assert.Equal(400, status);
        Assert.True(problem!.Value.GetProperty("errors").TryGetProperty("body", out _));
    }

    public void Dispose() => _services.Dispose();

    private async Task<(int Status, RequestParameters? Parameters, JsonElement? Problem, bool Forwarded)> ValidateAsync(
        string operationName, string rawTarget, string? body = null, string contentType = "application/json", string? contentEncoding = null)
    {
        var operation = DataForgeOperation.Find(operationName)!;
        var context = new DefaultHttpContext { RequestServices = _services };
        context.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(new DataForgeRoute("stage", operation)), operationName));
        var request = context.Request;
        request.Method = operation.Method;
        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        request.Path = Uri.UnescapeDataString(query < 0 ? rawTarget : rawTarget[..query]);
        request.QueryString = query < 0 ? QueryString.Empty : new QueryString(rawTarget[query..]);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget;
        var last = request.Path.Value!.Split('/')[^1];
        foreach (var parameter in operation.Parameters.Where(p => p.In == ParameterLocation.Path))
        {
            request.RouteValues[parameter.Name] = last;
        }

        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = contentType;
            if (contentEncoding is not null)
            {
                request.Headers.ContentEncoding = contentEncoding;
            }
        }

        var response = new MemoryStream();
        context.Response.Body = response;
        var forwarded = false;
        var middleware = ActivatorUtilities.CreateInstance<RequestValidationMiddleware>(_services, (RequestDelegate)(_ =>
        {
            forwarded = true;
            return Task.CompletedTask;
        }));

        await middleware.InvokeAsync(context);

        JsonElement? problem = response.Length == 0 ? null : JsonDocument.Parse(response.ToArray()).RootElement.Clone();
        return (context.Response.StatusCode, context.Features.Get<RequestParameters>(), problem, forwarded);
    }
}

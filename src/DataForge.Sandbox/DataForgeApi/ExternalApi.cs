using System.Text.Json;
using DataForge.Sandbox.Auth0;
using Microsoft.AspNetCore.Http.Features;

namespace DataForge.Sandbox.DataForgeApi;

/// <summary>DataForge's four External API routes, behind a bearer token from the sandbox tenant.</summary>
public static class ExternalApi
{
    public static void MapDataForgeExternalApi(this IEndpointRouteBuilder app)
    {
        var external = app.MapGroup("/external").AddEndpointFilter(RecordAndAuthorizeAsync);
        external.MapPost("/source-pull/{sourceId}", (string sourceId) => PullSource(sourceId));
        external.MapPost("/inputs-filtered", (HttpContext context) => FilterInputs(context));
        external.MapGet("/sources", (string? projectId, SandboxSwitches switches) => Sources(Catalog.Sources(projectId, null), switches));
        external.MapGet("/sources-filtered-by-name/{filter}", (string filter, string? projectId, SandboxSwitches switches) => Sources(Catalog.Sources(projectId, filter), switches));
    }

    private static IResult Sources(object sources, SandboxSwitches switches) =>
        switches.ApiPaddingBytes is { } padding ? Results.Json(new { sources, padding = new string('x', padding) }) : Results.Json(sources);

    private static async ValueTask<object?> RecordAndAuthorizeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var services = context.RequestServices;
        context.Request.EnableBuffering();
        using var reader = new StreamReader(context.Request.Body, leaveOpen: true);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        context.Request.Body.Position = 0;
        context.Items[BodyKey] = body;

        var switches = services.GetRequiredService<SandboxSwitches>();
        if (switches.ApiDelay is { } delay)
        {
            await Task.Delay(delay, context.RequestAborted);
        }

        var status = Authorize(context, services.GetRequiredService<TokenIssuer>(), switches);
        if (switches.ApiCacheControl is { } cacheControl)
        {
            context.Response.Headers.CacheControl = cacheControl;
        }

        if (switches.ApiVary is { } vary)
        {
            context.Response.Headers.Vary = vary;
        }

        var result = switches.ApiLeaks ? Leak(context) : status == StatusCodes.Status200OK ? await next(invocation) : Reject(status);
        services.GetRequiredService<SandboxRecorder>().Record(new RecordedRequest(
            context.Request.Method,
            context.Features.Get<IHttpRequestFeature>()?.RawTarget?.Split('?')[0] ?? context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            body,
            context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null,
            SandboxRecorder.HeadersOf(context.Request),
            result is IStatusCodeHttpResult { StatusCode: { } code } ? code : status));
        return result;
    }

    private const string BodyKey = "sandbox.body";

    private static int Authorize(HttpContext context, TokenIssuer issuer, SandboxSwitches switches)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || !issuer.IsValid(header["Bearer ".Length..].Trim()))
        {
            return StatusCodes.Status401Unauthorized;
        }

        return switches.ApiStatus ?? StatusCodes.Status200OK;
    }

    private static IResult Leak(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var headers = context.Response.Headers;
        headers.SetCookie = "dataforge_session=abc123; Path=/; HttpOnly";
        headers.WWWAuthenticate = "Bearer realm=\"dataforge\", error=\"invalid_token\"";
        headers["X-Internal-Trace"] = "node-7.eu-west.internal";
        headers.ETag = $"\"{authorization["Bearer ".Length..]}\"";
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.Server = "dataforge-internal/1.2";
            return Task.CompletedTask;
        });
        return Results.Content($"<html><body><h1>500</h1><pre>Request headers:\nAuthorization: {authorization}\n</pre></body></html>", "text/html", statusCode: 500);
    }

    private static IResult Reject(int status) => status switch
    {
        401 => Results.Json(new { message = "Unauthorized" }, statusCode: 401),
        429 => new TooManyRequests(),
        _ => Results.Json(new { message = "Internal Server Error" }, statusCode: status),
    };

    private static IResult PullSource(string sourceId) =>
        long.TryParse(sourceId, out var id) && Catalog.Find(id) is { } source
            ? Results.Json(new { source_id = source.SourceId, message = $"Pull data now started for source {source.SourceId}", status = "queued" })
            : Results.Json(new { message = $"Source {sourceId} not found" }, statusCode: 404);

    private static IResult FilterInputs(HttpContext context)
    {
        try
        {
            using var json = JsonDocument.Parse((string)context.Items[BodyKey]!);
            var root = json.RootElement;
            var sourceId = long.Parse(Text(root, "source_id"), System.Globalization.CultureInfo.InvariantCulture);
            var limit = int.Parse(Text(root, "limit"), System.Globalization.CultureInfo.InvariantCulture);
            var effective = bool.Parse(Text(root, "effective_filter"));
            return Catalog.Find(sourceId) is null
                ? Results.Json(new { message = $"Source {sourceId} not found" }, statusCode: 404)
                : Results.Json(Catalog.Inputs(sourceId, limit, effective));
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            return Results.Json(new { message = "Body must be {\"source_id\", \"limit\", \"effective_filter\"}" }, statusCode: 400);
        }
    }

    // DataForge takes these as strings (the vendor's example) or as JSON numbers and booleans.
    private static string Text(JsonElement root, string name)
    {
        var value = root.GetProperty(name);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
    }

    private sealed class TooManyRequests : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = "7";
            return Results.Json(new { message = "Too Many Requests" }, statusCode: 429).ExecuteAsync(httpContext);
        }
    }
}

using System.Text.Json;
using DataForgeGateway.Callers;
using DataForgeGateway.Hosting;
using DataForgeGateway.Problems;
using Microsoft.AspNetCore.Http.Features;

namespace DataForgeGateway.Routing;

/// <summary>
/// Checks a request before it is forwarded: its parameters are what DataForge would accept (400 listing each bad
/// field), its body fits (413) and is JSON where one is expected (415), and the caller may touch the project and
/// source it names (403). Nothing is forwarded unless all of this holds.
/// </summary>
internal sealed class RequestValidationMiddleware(RequestDelegate next, LiveOptions<RequestOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var operation = context.GetReverseProxyFeature().Route.Config.Metadata?.GetValueOrDefault(RouteMetadata.Operation);
        var settings = options.Current;
        var request = context.Request;
        if (request.ContentLength > settings.MaxBodyBytes)
        {
            return context.WriteProblemAsync(GatewayProblem.BodyTooLarge, $"At most {settings.MaxBodyBytes} bytes.");
        }

        Dictionary<string, string[]>? errors = null;
        var input = default(RequestInput);
        CheckQuery(request, operation, ref errors, ref input);
        if (operation == DataForgeOperation.InputsFiltered.Name)
        {
            return CheckBodyAsync(context, settings, errors, input);
        }

        if (HasBody(request))
        {
            Fail(ref errors, "body", $"The {operation} operation takes no body.");
        }

        CheckRouteValues(request, operation, ref errors, ref input);
        return Conclude(context, errors, input);
    }

    private async Task CheckBodyAsync(HttpContext context, RequestOptions settings, Dictionary<string, string[]>? errors, RequestInput input)
    {
        // What is checked is what is sent: the body is parsed as UTF-8 JSON, so it must be that, uncompressed.
        if (!IsUtf8Json(context.Request.ContentType) || context.Request.Headers.ContentEncoding is { Count: > 0 } encoding && encoding.ToString() is not "identity")
        {
            await context.WriteProblemAsync(GatewayProblem.UnsupportedMediaType, "Send the body as application/json in UTF-8, uncompressed.");
            return;
        }

        var (body, failure) = await ReadBodyAsync(context, settings.MaxBodyBytes);
        if (body is null)
        {
            await context.WriteProblemAsync(failure == StatusCodes.Status413PayloadTooLarge ? GatewayProblem.BodyTooLarge : GatewayProblem.InvalidRequest,
                failure switch
                {
                    StatusCodes.Status413PayloadTooLarge => $"At most {settings.MaxBodyBytes} bytes.",
                    StatusCodes.Status408RequestTimeout => "The body arrived too slowly.",
                    _ => "The body could not be read (malformed framing, or the connection broke off).",
                });
            return;
        }

        CheckInputsFilter(body, settings.MaxInputsLimit, ref errors, ref input);
        if (errors is null)
        {
            // DataForge is sent a body made from the checked values, never the caller's bytes: a second reading of
            // those (duplicate members, escapes) can find nothing that was not checked.
            var canonical = System.Text.Encoding.UTF8.GetBytes(
                $"{{\"source_id\":\"{input.SourceId}\",\"limit\":\"{input.Limit}\",\"effective_filter\":\"{input.EffectiveFilter}\"}}");
            context.Request.Body = new MemoryStream(canonical, writable: false);
            context.Request.ContentLength = canonical.Length;
            context.Request.ContentType = "application/json";
        }

        await Conclude(context, errors, input);
    }

    /// <summary>400 listing every bad field, else 403 for a project or source not the caller's, else on to DataForge.</summary>
    private Task Conclude(HttpContext context, Dictionary<string, string[]>? errors, RequestInput input)
    {
        if (context.Features.Get<Audit.AuditRecord>() is { } audit)
        {
            audit.ProjectId = input.ProjectId;
            audit.SourceId = input.SourceId;
        }

        if (errors is not null)
        {
            return context.WriteValidationProblemAsync(errors);
        }

        if (Refusal(context.User.Identity as CallerIdentity, in input) is { } refusal)
        {
            return context.WriteProblemAsync(GatewayProblem.Forbidden, refusal);
        }

        context.Features.Set(new ValidatedRequest(input.PathAndQuery(context.GetReverseProxyFeature().Route.Config.Metadata?.GetValueOrDefault(RouteMetadata.Operation)), input.NameFilter));
        return next(context);
    }

    private static void Fail(ref Dictionary<string, string[]>? errors, string field, string message) =>
        (errors ??= new Dictionary<string, string[]>(StringComparer.Ordinal))[field] = [message];

    private static void CheckQuery(HttpRequest request, string? operation, ref Dictionary<string, string[]>? errors, ref RequestInput input)
    {
        var takesProject = operation == DataForgeOperation.Sources.Name || operation == DataForgeOperation.SourcesFilteredByName.Name;
        foreach (var (name, values) in request.Query)
        {
            if (!takesProject || name != "projectId")
            {
                Fail(ref errors, name, $"The {operation} operation takes no '{name}' parameter.");
            }
            else if (values.Count != 1 || !IsNumericId(values[0]))
            {
                Fail(ref errors, name, "projectId must be given once, as a project id (digits).");
            }
            else
            {
                input.ProjectId = values[0];
            }
        }
    }

    private static void CheckRouteValues(HttpRequest request, string? operation, ref Dictionary<string, string[]>? errors, ref RequestInput input)
    {
        if (operation == DataForgeOperation.SourcePull.Name)
        {
            var sourceId = request.RouteValues["sourceId"] as string;
            if (IsNumericId(sourceId))
            {
                input.SourceId = sourceId;
            }
            else
            {
                Fail(ref errors, "sourceId", "sourceId must be a source id (digits).");
            }
        }
        else if (operation == DataForgeOperation.SourcesFilteredByName.Name)
        {
            // Decoded once from the raw target: the route value has been through Kestrel's decoding, which leaves
            // %2F encoded and so cannot tell %2F from %252F.
            var target = (request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "").AsSpan();
            var query = target.IndexOf('?');
            if (NameFilter.TrySplit(query < 0 ? target : target[..query], out _, out var raw) && NameFilter.Decode(raw, out var filter) is null)
            {
                input.NameFilter = filter;
            }
            else
            {
                Fail(ref errors, "filter", $"filter must be 1 to {NameFilter.MaxLength} characters of a source name, without '/' or '\\' and not '.' or '..'.");
            }
        }
    }

    /// <summary>The vendor sends these fields as strings ("19709", "100", "false"); DataForge also takes numbers and booleans.</summary>
    private static void CheckInputsFilter(byte[] body, int maxLimit, ref Dictionary<string, string[]>? errors, ref RequestInput input)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            Fail(ref errors, "body", "The body must be a JSON object: {\"source_id\", \"limit\", \"effective_filter\"}.");
            return;
        }

        if (json.RootElement.ValueKind == JsonValueKind.Object && WhyNotPlain(json.RootElement) is { } unreadable)
        {
            json.Dispose();
            Fail(ref errors, unreadable.Field, unreadable.Message);
            return;
        }

        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                Fail(ref errors, "body", "The body must be a JSON object: {\"source_id\", \"limit\", \"effective_filter\"}.");
                return;
            }

            foreach (var property in root.EnumerateObject().Where(p => p.Name is not ("source_id" or "limit" or "effective_filter")))
            {
                Fail(ref errors, property.Name, "DataForge takes only source_id, limit and effective_filter.");
            }

            var sourceId = Scalar(root, "source_id");
            if (IsNumericId(sourceId))
            {
                input.SourceId = sourceId;
            }
            else
            {
                Fail(ref errors, "source_id", "source_id is required: a source id, as a string of digits or a number.");
            }

            if (!int.TryParse(Scalar(root, "limit"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) || limit < 1 || limit > maxLimit)
            {
                Fail(ref errors, "limit", $"limit is required: a whole number from 1 to {maxLimit}, as a string or a number.");
            }
            else
            {
                input.Limit = limit;
            }

            if (Scalar(root, "effective_filter") is not ("true" or "false"))
            {
                Fail(ref errors, "effective_filter", "effective_filter is required: \"true\" or \"false\", as a string or a boolean.");
            }
            else
            {
                input.EffectiveFilter = Scalar(root, "effective_filter");
            }
        }
    }

    private static string? Refusal(CallerIdentity? caller, in RequestInput input)
    {
        if (caller is null)
        {
            return null;
        }

        if (caller.ProjectIds.Count > 0 && input.ProjectId is null && input.SourceId is null)
        {
            return $"Caller '{caller.Name}' may read only some projects: name one with projectId.";
        }

        if (input.ProjectId is { } project && !caller.MayReadProject(project))
        {
            return $"Caller '{caller.Name}' may not read project '{project}'.";
        }

        if (input.SourceId is { } source && !caller.MayUseSource(source))
        {
            return $"Caller '{caller.Name}' may not use source '{source}'.";
        }

        return null;
    }

    /// <summary>
    /// A member name twice (after unescaping: the last would win in one parser, the first in another), or a name or
    /// string that is not valid Unicode (a lone surrogate escape): refused before anything reads the values.
    /// </summary>
    private static (string Field, string Message)? WhyNotPlain(JsonElement root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    _ = property.Value.GetString();
                }
            }
            catch (InvalidOperationException)
            {
                return ("body", "The body holds a string that is not valid Unicode (a lone surrogate escape).");
            }

            if (!seen.Add(name))
            {
                return (name, $"{name} is given more than once.");
            }
        }

        return null;
    }

    /// <summary>Reads the whole body, at most <paramref name="maxBytes"/>. Null, with the status it calls for, when it cannot be read.</summary>
    private static async Task<(byte[]? Body, int Failure)> ReadBodyAsync(HttpContext context, int maxBytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // A chunked body has no length to check up front: Kestrel stops it at the limit.
            limit.MaxRequestBodySize = maxBytes;
        }

        using var copy = new MemoryStream();
        try
        {
            await context.Request.Body.CopyToAsync(copy, context.RequestAborted);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own verdict: 413 past the limit, 408 below the minimum data rate, 400 for broken framing.
            return (null, e.StatusCode);
        }
        catch (IOException)
        {
            return (null, StatusCodes.Status400BadRequest);
        }

        return copy.Length > maxBytes ? (null, StatusCodes.Status413PayloadTooLarge) : (copy.ToArray(), 0);
    }

    private static string? Scalar(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) ? null : value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        };

    private static bool IsUtf8Json(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
        && (!media.Charset.HasValue || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || media.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));

    private static bool HasBody(HttpRequest request) => request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;

    private static bool IsNumericId(string? value) => value is { Length: > 0 and <= 18 } && !value.AsSpan().ContainsAnyExceptInRange('0', '9');

    /// <summary>The values a request names, checked: for the permission check and for what DataForge is sent.</summary>
    private struct RequestInput
    {
        public string? ProjectId { get; set; }

        public string? SourceId { get; set; }

        public int Limit { get; set; }

        public string? EffectiveFilter { get; set; }

        public string? NameFilter { get; set; }

        /// <summary>The canonical path and query of the operation: what DataForge receives.</summary>
        public readonly string PathAndQuery(string? operation)
        {
            var query = ProjectId is null ? "" : $"?projectId={ProjectId}";
            return operation switch
            {
                "source-pull" => $"/external/source-pull/{SourceId}",
                "inputs-filtered" => "/external/inputs-filtered",
                "sources-filtered-by-name" => $"/external/sources-filtered-by-name/{Routing.NameFilter.Encode(NameFilter ?? "")}{query}",
                _ => $"/external/sources{query}",
            };
        }
    }
}

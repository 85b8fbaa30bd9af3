using DataForgeGateway.Api;
using DataForgeGateway.Primitives;
using DataForgeGateway.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace DataForgeGateway.Routing;

/// <summary>
/// Checks a request against its operation's definition (<see cref="DataForgeOperation"/>) before it is forwarded:
/// its parameters are what DataForge would accept (400 listing each bad field), its body fits (413) and is JSON
/// where one is expected (415). Publishes the checked values (<see cref="RequestParameters"/>) whatever the
/// outcome; nothing is forwarded unless all of this holds, and DataForge is sent the canonical form.
/// </summary>
internal sealed class RequestValidationMiddleware(RequestDelegate next, LiveOptions<RequestOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var operation = context.GetDataForgeRoute()!.Operation;
        var settings = options.Current;
        var request = context.Request;
        if (request.ContentLength > settings.MaxBodyBytes)
        {
            return context.WriteProblemAsync(GatewayProblem.BodyTooLarge, $"At most {settings.MaxBodyBytes} bytes.");
        }

        var parameters = new RequestParameters(operation);
        context.Features.Set(parameters);
        var errors = new ValidationErrors();
        CheckQuery(request, parameters, settings, errors);
        CheckPath(request, parameters, settings, errors);
        if (operation.HasBody)
        {
            return CheckBodyAsync(context, parameters, settings, errors);
        }

        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            errors.Add("body", $"The {operation.Name} operation takes no body.");
        }

        return Conclude(context, parameters, errors);
    }

    private async Task CheckBodyAsync(HttpContext context, RequestParameters parameters, RequestOptions settings, ValidationErrors errors)
    {
        // What is checked is what is sent: the body is parsed as UTF-8 JSON, so it must be that, uncompressed.
        if (!JsonBody.IsUtf8Json(context.Request.ContentType) || context.Request.Headers.ContentEncoding is { Count: > 0 } encoding && encoding.ToString() is not "identity")
        {
            await context.WriteProblemAsync(GatewayProblem.UnsupportedMediaType, "Send the body as application/json in UTF-8, uncompressed.");
            return;
        }

        var (body, failure) = await JsonBody.ReadAsync(context, settings.MaxBodyBytes);
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

        JsonBody.Check(body, parameters, settings.MaxInputsLimit, errors);
        if (!errors.Any)
        {
            // DataForge is sent a body made from the checked values, never the caller's bytes: a second reading of
            // those (duplicate members, escapes) can find nothing that was not checked.
            var canonical = parameters.CanonicalBody();
            context.Request.Body = new MemoryStream(canonical, writable: false);
            context.Request.ContentLength = canonical.Length;
            context.Request.ContentType = "application/json";
        }

        await Conclude(context, parameters, errors);
    }

    private Task Conclude(HttpContext context, RequestParameters parameters, ValidationErrors errors)
    {
        if (errors.Any)
        {
            return context.WriteValidationProblemAsync(errors.ByField!);
        }

        parameters.IsValid = true;
        return next(context);
    }

    internal static void CheckQuery(HttpRequest request, RequestParameters parameters, RequestOptions settings, ValidationErrors errors)
    {
        if (!TryCheckUsualQuery(request.QueryString.Value, parameters, settings))
        {
            CheckAnyQuery(request, parameters, settings, errors);
        }

        Require(parameters, ParameterLocation.Query, errors);
    }

    /// <summary>
    /// The usual query, checked as it is read, without building ASP.NET Core's query collection: every pair names
    /// a query parameter of the operation (exactly, as <see cref="CheckAnyQuery"/> requires), no name twice, each
    /// value valid. Anything else leaves the parameters as they were and returns false, and <see cref="CheckAnyQuery"/>
    /// says what is wrong; what this accepts, that would have accepted with the same values.
    /// </summary>
    internal static bool TryCheckUsualQuery(string? query, RequestParameters parameters, RequestOptions settings)
    {
        var operation = parameters.Operation;
        var taken = 0UL;   // the operations have a handful of parameters: one bit each
        foreach (var pair in new QueryStringEnumerable(query))
        {
            var index = operation.IndexOf(pair.DecodeName().Span, ParameterLocation.Query);
            if (index is < 0 or >= 64 || (taken & (1UL << index)) != 0
                || operation.Parameters[index].Rule.Canonical(pair.DecodeValue().ToString(), settings.MaxInputsLimit) is not { } value)
            {
                for (var i = 0; taken != 0; i++, taken >>= 1)
                {
                    if ((taken & 1) != 0)
                    {
                        parameters[i] = null;
                    }
                }

                return false;
            }

            parameters[index] = value;
            taken |= 1UL << index;
        }

        return true;
    }

    /// <summary>Any query, through ASP.NET Core's query collection (names case-insensitive, repeated ones grouped): each fault named.</summary>
    internal static void CheckAnyQuery(HttpRequest request, RequestParameters parameters, RequestOptions settings, ValidationErrors errors)
    {
        var operation = parameters.Operation;
        foreach (var (name, values) in request.Query)
        {
            var index = operation.IndexOf(name, ParameterLocation.Query);
            if (index < 0)
            {
                errors.Add(name, $"The {operation.Name} operation takes no '{name}' parameter.");
            }
            else if (values.Count != 1 || operation.Parameters[index].Rule.Canonical(values[0], settings.MaxInputsLimit) is not { } value)
            {
                errors.Add(name, $"{name} must be given once, as {operation.Parameters[index].Rule.Describes}.");
            }
            else
            {
                parameters[index] = value;
            }
        }
    }

    private static void CheckPath(HttpRequest request, RequestParameters parameters, RequestOptions settings, ValidationErrors errors)
    {
        var operation = parameters.Operation;
        for (var i = 0; i < operation.Parameters.Count; i++)
        {
            var parameter = operation.Parameters[i];
            if (parameter.In != ParameterLocation.Path)
            {
                continue;
            }

            var value = parameter.Rule == ParameterRule.NameFilter
                ? RawNameFilter(request)
                : parameter.Rule.Canonical(request.RouteValues[parameter.Name] as string, settings.MaxInputsLimit);
            if (value is null)
            {
                errors.Add(parameter.Name, $"{parameter.Name} must be {parameter.Rule.Describes}.");
            }
            else
            {
                parameters[i] = value;
            }
        }
    }

    /// <summary>
    /// The name filter decoded once from the raw target: the route value has been through Kestrel's decoding, which
    /// leaves %2F encoded and so cannot tell %2F from %252F.
    /// </summary>
    private static string? RawNameFilter(HttpRequest request)
    {
        var target = (request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "").AsSpan();
        var query = target.IndexOf('?');
        return NameFilter.TrySplit(query < 0 ? target : target[..query], out _, out var raw) && NameFilter.Decode(raw, out var filter) is null ? filter : null;
    }

    /// <summary>A required parameter at <paramref name="location"/> that is missing is an error of its own.</summary>
    internal static void Require(RequestParameters parameters, ParameterLocation location, ValidationErrors errors)
    {
        var operation = parameters.Operation;
        for (var i = 0; i < operation.Parameters.Count; i++)
        {
            var parameter = operation.Parameters[i];
            if (parameter.In == location && parameter.Required && parameters[i] is null && !errors.Has(parameter.Name))
            {
                errors.Add(parameter.Name, $"{parameter.Name} is required: {parameter.Rule.Describes}.");
            }
        }
    }
}

/// <summary>The fields a request got wrong, each with what it should be; allocated only for the first.</summary>
internal sealed class ValidationErrors
{
    public Dictionary<string, string[]>? ByField { get; private set; }

    public bool Any => ByField is not null;

    public bool Has(string field) => ByField?.ContainsKey(field) == true;

    public void Add(string field, string message) => (ByField ??= new Dictionary<string, string[]>(StringComparer.Ordinal))[field] = [message];
}

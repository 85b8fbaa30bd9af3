using System.Text.Json;
using DataForgeGateway.Api;
using Microsoft.AspNetCore.Http.Features;

namespace DataForgeGateway.Routing;

/// <summary>Reading and checking an operation's JSON body against its body parameters.</summary>
internal static class JsonBody
{
    /// <summary>
    /// Checks the body's members against the operation's body parameters. The vendor sends them as strings
    /// ("19709", "100", "false"); DataForge also takes numbers and booleans, and is sent strings.
    /// </summary>
    public static void Check(byte[] body, RequestParameters parameters, int maxLimit, ValidationErrors errors)
    {
        var operation = parameters.Operation;
        var shape = $"The body must be a JSON object: {{{string.Join(", ", operation.Parameters.Where(p => p.In == ParameterLocation.Body).Select(p => $"\"{p.Name}\""))}}}.";
        JsonDocument json;
        try
        {
            // A UTF-8 byte-order mark is allowed before JSON text (RFC 8259 §8.1 lets a parser ignore it): ignored here,
            // and never forwarded, since DataForge is sent the checked values, not these bytes.
            json = JsonDocument.Parse(body.AsMemory(body.AsSpan().StartsWith(Utf8Bom) ? Utf8Bom.Length : 0));
        }
        catch (JsonException)
        {
            errors.Add("body", shape);
            return;
        }

        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add("body", shape);
                return;
            }

            if (WhyNotPlain(root) is { } unreadable)
            {
                errors.Add(unreadable.Field, unreadable.Message);
                return;
            }

            foreach (var property in root.EnumerateObject())
            {
                var index = operation.IndexOf(property.Name, ParameterLocation.Body);
                if (index < 0)
                {
                    errors.Add(property.Name, $"DataForge takes only {string.Join(", ", operation.Parameters.Where(p => p.In == ParameterLocation.Body).Select(p => p.Name))}.");
                }
                else if (operation.Parameters[index].Rule.Canonical(Scalar(property.Value), maxLimit) is { } value)
                {
                    parameters[index] = value;
                }
                else
                {
                    var parameter = operation.Parameters[index];
                    errors.Add(parameter.Name, $"{parameter.Name} is required: {parameter.Rule.Describes}, as a string or a JSON scalar.");
                }
            }

            RequestValidationMiddleware.Require(parameters, ParameterLocation.Body, errors);
        }
    }

    /// <summary>Reads the whole body, at most <paramref name="maxBytes"/>. Null, with the status it calls for, when it cannot be read.</summary>
    public static async Task<(byte[]? Body, int Failure)> ReadAsync(HttpContext context, int maxBytes)
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

    /// <summary>JSON in UTF-8: no charset, or <c>utf-8</c> (also quoted, <c>charset="UTF-8"</c>, which RFC 9110 allows).</summary>
    public static bool IsUtf8Json(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
        && (!media.Charset.HasValue || Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(media.Charset) is var charset
            && (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)));

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

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

    private static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };
}

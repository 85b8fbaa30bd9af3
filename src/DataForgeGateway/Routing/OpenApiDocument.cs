using System.Text.Json;
using System.Text.Json.Nodes;
using DataForgeGateway.Api;
using DataForgeGateway.Problems;

namespace DataForgeGateway.Routing;

/// <summary>
/// The gateway's OpenAPI 3.1 document, generated from the operations' own definitions (<see cref="DataForgeOperation"/>)
/// and the problem types (<see cref="GatewayProblem"/>), so it cannot drift from what the gateway serves. Served at
/// <c>/openapi/v1.json</c> on the proxy port, without a key. Environments are a path parameter, not a list: which
/// environments exist is told to nobody.
/// </summary>
public static class OpenApiDocument
{
    public const string Path = "/openapi/v1.json";

    private const string ProblemJson = "application/problem+json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The document as UTF-8 JSON, built once.</summary>
    public static byte[] Utf8 { get; } = JsonSerializer.SerializeToUtf8Bytes(Build(), Indented);

    public static IEndpointRouteBuilder MapOpenApiDocument(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, static context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.Headers.CacheControl = "public, max-age=300";
            return context.Response.Body.WriteAsync(Utf8).AsTask();
        });
        return app;
    }

    /// <summary>The <c>operationId</c> of an operation, in its default-environment form or its <c>/{environment}</c> form.</summary>
    public static string OperationId(DataForgeOperation operation, bool withEnvironment)
    {
        var words = operation.Name.Split('-');
        var id = words[0] + string.Concat(words.Skip(1).Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
        return withEnvironment ? id + "InEnvironment" : id;
    }

    internal static JsonObject Build()
    {
        var paths = new JsonObject();
        foreach (var operation in DataForgeOperation.All)
        {
            paths[operation.PathTemplate] = new JsonObject { [operation.Method.ToLowerInvariant()] = Operation(operation, withEnvironment: false) };
            paths["/{environment}" + operation.PathTemplate] = new JsonObject { [operation.Method.ToLowerInvariant()] = Operation(operation, withEnvironment: true) };
        }

        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = "DataForge Gateway",
                ["version"] = "1",
                ["description"] = "The DataForge External API, called with the gateway's API key instead of an Auth0 token. "
                    + "Errors are RFC 9457 problem+json with a stable type. /external/... goes to the default environment; "
                    + "/{environment}/external/... to another one the caller may use.",
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = "/" }),
            ["security"] = new JsonArray(new JsonObject { ["ApiKey"] = new JsonArray() }),
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["ApiKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "X-Api-Key", ["description"] = "Your service's gateway key (dfgw_...)." },
                },
                ["schemas"] = new JsonObject { ["Problem"] = ProblemSchema() },
                ["headers"] = new JsonObject
                {
                    ["RateLimit"] = Header("Remaining quota and seconds until the caller's buckets are full again (IETF RateLimit header fields)."),
                    ["RateLimit-Policy"] = Header("The caller's rate-limit policies for this operation."),
                    ["Retry-After"] = Header("Seconds to wait before trying again.", "integer"),
                    ["Idempotent-Replayed"] = Header("true: this is the stored answer of an earlier request with the same Idempotency-Key; DataForge was not called."),
                },
            },
        };
    }

    private static JsonObject Operation(DataForgeOperation operation, bool withEnvironment)
    {
        var parameters = new JsonArray();
        if (withEnvironment)
        {
            parameters.Add(new JsonObject
            {
                ["name"] = "environment", ["in"] = "path", ["required"] = true,
                ["description"] = "A DataForge environment the caller may use.",
                ["schema"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$" },
            });
        }

        foreach (var parameter in operation.Parameters.Where(p => p.In != ParameterLocation.Body))
        {
            parameters.Add(new JsonObject
            {
                ["name"] = parameter.Name,
                ["in"] = parameter.In == ParameterLocation.Path ? "path" : "query",
                ["required"] = parameter.Required,
                ["description"] = parameter.Description,
                ["schema"] = new JsonObject { ["type"] = "string", ["pattern"] = parameter.Rule.Pattern, ["maxLength"] = parameter.Rule.MaxLength },
            });
        }

        if (operation == DataForgeOperation.SourcePull)
        {
            parameters.Add(new JsonObject
            {
                ["name"] = "Idempotency-Key", ["in"] = "header", ["required"] = false,
                ["description"] = "At most one ingestion per key: a retry with the same key and request gets the first answer again.",
                ["schema"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["maxLength"] = 255 },
            });
        }

        var result = new JsonObject
        {
            ["operationId"] = OperationId(operation, withEnvironment),
            ["summary"] = operation.Summary,
            ["tags"] = new JsonArray("DataForge"),
            ["parameters"] = parameters,
            ["responses"] = Responses(operation),
        };
        if (operation.HasBody)
        {
            result["requestBody"] = new JsonObject
            {
                ["required"] = true,
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = BodySchema(operation) } },
            };
        }

        return result;
    }

    private static JsonObject BodySchema(DataForgeOperation operation)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var parameter in operation.Parameters.Where(p => p.In == ParameterLocation.Body))
        {
            // The vendor sends strings ("19709", "100", "false"); numbers and booleans are taken too.
            var scalar = parameter.Rule == ParameterRule.Flag ? "boolean" : "integer";
            properties[parameter.Name] = new JsonObject
            {
                ["type"] = new JsonArray("string", scalar),
                ["pattern"] = parameter.Rule.Pattern,
                ["description"] = parameter.Description,
            };
            if (parameter.Required)
            {
                required.Add(parameter.Name);
            }
        }

        return new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = required, ["additionalProperties"] = false };
    }

    private static JsonObject Responses(DataForgeOperation operation)
    {
        var success = new JsonObject
        {
            ["description"] = "DataForge's own answer, passed through.",
            ["headers"] = new JsonObject
            {
                ["RateLimit"] = new JsonObject { ["$ref"] = "#/components/headers/RateLimit" },
                ["RateLimit-Policy"] = new JsonObject { ["$ref"] = "#/components/headers/RateLimit-Policy" },
            },
            ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject() } },
        };
        if (operation == DataForgeOperation.SourcePull)
        {
            success["headers"]!["Idempotent-Replayed"] = new JsonObject { ["$ref"] = "#/components/headers/Idempotent-Replayed" };
        }

        var responses = new JsonObject { ["200"] = success };
        foreach (var group in GatewayProblem.All.Where(p => Applies(p, operation)).GroupBy(p => p.Status).OrderBy(g => g.Key))
        {
            var response = new JsonObject
            {
                ["description"] = string.Join("; ", group.Select(p => $"{p.Slug}: {p.Title}")),
                ["content"] = new JsonObject
                {
                    [ProblemJson] = new JsonObject
                    {
                        ["schema"] = new JsonObject
                        {
                            ["allOf"] = new JsonArray(
                                new JsonObject { ["$ref"] = "#/components/schemas/Problem" },
                                new JsonObject { ["properties"] = new JsonObject { ["type"] = new JsonObject { ["enum"] = new JsonArray([.. group.Select(p => JsonValue.Create(p.Type))]) } } }),
                        },
                    },
                },
            };
            if (group.Key is 429 or 503 or 409)
            {
                response["headers"] = new JsonObject { ["Retry-After"] = new JsonObject { ["$ref"] = "#/components/headers/Retry-After" } };
            }

            responses[group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = response;
        }

        return responses;
    }

    /// <summary>Whether an operation can be answered with a problem: body problems only where there is a body, idempotency only for source-pull.</summary>
    private static bool Applies(GatewayProblem problem, DataForgeOperation operation)
    {
        if (problem == GatewayProblem.BodyTooLarge || problem == GatewayProblem.UnsupportedMediaType)
        {
            return operation.HasBody;
        }

        if (problem == GatewayProblem.IdempotencyKeyInvalid || problem == GatewayProblem.IdempotencyKeyInFlight || problem == GatewayProblem.IdempotencyKeyReused)
        {
            return operation == DataForgeOperation.SourcePull;
        }

        // The path and the method matched an operation: these are for every other path or method.
        return problem != GatewayProblem.RouteNotFound && problem != GatewayProblem.MethodNotAllowed;
    }

    private static JsonObject ProblemSchema() => new()
    {
        ["type"] = "object",
        ["description"] = "RFC 9457 problem details. Unknown paths answer 404 route-not-found and other methods 405 method-not-allowed.",
        ["properties"] = new JsonObject
        {
            ["type"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. GatewayProblem.All.Select(p => JsonValue.Create(p.Type))]) },
            ["title"] = new JsonObject { ["type"] = "string" },
            ["status"] = new JsonObject { ["type"] = "integer" },
            ["detail"] = new JsonObject { ["type"] = "string" },
            ["traceId"] = new JsonObject { ["type"] = "string", ["description"] = "The W3C traceparent of the request, as the audit record has it." },
            ["errors"] = new JsonObject
            {
                ["type"] = "object",
                ["description"] = "invalid-request: what is wrong with each field.",
                ["additionalProperties"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
            },
        },
        ["required"] = new JsonArray("type", "title", "status"),
    };

    private static JsonObject Header(string description, string type = "string") => new()
    {
        ["description"] = description,
        ["schema"] = new JsonObject { ["type"] = type },
    };
}

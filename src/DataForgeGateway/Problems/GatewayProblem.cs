namespace DataForgeGateway.Problems;

/// <summary>
/// A kind of failure the gateway answers with RFC 9457 problem+json. <see cref="Type"/> is stable: callers may
/// branch on it, so a released one keeps its meaning.
/// </summary>
public sealed record GatewayProblem(int Status, string Slug, string Title)
{
    public const string TypePrefix = "urn:dataforge-gateway:problem:";

    public static readonly GatewayProblem ApiKeyMissing = new(401, "api-key-missing", "An API key is required");
    public static readonly GatewayProblem ApiKeyInvalid = new(401, "api-key-invalid", "The API key is not valid");
    public static readonly GatewayProblem Forbidden = new(403, "forbidden", "The caller may not do this");
    public static readonly GatewayProblem RouteNotFound = new(404, "route-not-found", "No DataForge operation has this path");
    public static readonly GatewayProblem MethodNotAllowed = new(405, "method-not-allowed", "The DataForge operation does not take this method");
    public static readonly GatewayProblem InternalError = new(500, "internal-error", "The gateway failed to handle the request");
    public static readonly GatewayProblem UpstreamUnavailable = new(502, "upstream-unavailable", "DataForge could not be reached");
    public static readonly GatewayProblem UpstreamTokenRejected = new(502, "upstream-token-rejected", "DataForge refused the gateway's access token");
    public static readonly GatewayProblem TokenUnavailable = new(503, "token-unavailable", "No DataForge access token could be obtained");
    public static readonly GatewayProblem UpstreamTimeout = new(504, "upstream-timeout", "DataForge did not answer in time");

    /// <summary>The problem's stable <c>type</c> URI.</summary>
    public string Type { get; } = TypePrefix + Slug;

    /// <summary>The kind the gateway uses for a bare status code, such as the 404 of an unknown path.</summary>
    public static GatewayProblem? ForStatus(int status) => status switch
    {
        401 => ApiKeyInvalid,
        403 => Forbidden,
        404 => RouteNotFound,
        405 => MethodNotAllowed,
        500 => InternalError,
        502 => UpstreamUnavailable,
        503 => TokenUnavailable,
        504 => UpstreamTimeout,
        _ => null,
    };
}

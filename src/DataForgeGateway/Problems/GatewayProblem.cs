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
    public static readonly GatewayProblem ApiKeyMalformed = new(401, "api-key-malformed", "The API key is mistyped or truncated");
    public static readonly GatewayProblem ApiKeyExpired = new(401, "api-key-expired", "The API key has expired");
    public static readonly GatewayProblem ApiKeyNotYetValid = new(401, "api-key-not-yet-valid", "The API key is not valid yet");
    public static readonly GatewayProblem ApiKeyInQuery = new(401, "api-key-in-query", "API keys are not accepted in the query string");
    public static readonly GatewayProblem ApiKeyInPath = new(401, "api-key-in-path", "API keys are not accepted in the path");
    public static readonly GatewayProblem WorkloadTokenInvalid = new(401, "workload-token-invalid", "The workload token is not a JWT the gateway accepts");
    public static readonly GatewayProblem WorkloadTokenExpired = new(401, "workload-token-expired", "The workload token has expired");
    public static readonly GatewayProblem WorkloadTokenNotYetValid = new(401, "workload-token-not-yet-valid", "The workload token is not valid yet");
    public static readonly GatewayProblem WorkloadTokenWrongAudience = new(401, "workload-token-wrong-audience", "The workload token is not for this gateway's audience");
    public static readonly GatewayProblem WorkloadTokenUnknownIssuer = new(401, "workload-token-unknown-issuer", "The workload token's issuer is not one the gateway trusts");
    public static readonly GatewayProblem WorkloadTokenBadSignature = new(401, "workload-token-bad-signature", "The workload token is not signed by a key of its issuer");
    public static readonly GatewayProblem WorkloadSubjectUnmapped = new(401, "workload-subject-unmapped", "The workload is not a caller of the gateway");
    public static readonly GatewayProblem WorkloadKeysUnavailable = new(503, "workload-keys-unavailable", "The workload token's issuer keys cannot be fetched right now");
    public static readonly GatewayProblem InvalidRequest = new(400, "invalid-request", "The request is not one DataForge would accept");
    public static readonly GatewayProblem PathNotCanonical = new(400, "path-not-canonical", "The request target is not in canonical form");
    public static readonly GatewayProblem Forbidden = new(403, "forbidden", "The caller may not do this");
    public static readonly GatewayProblem RouteNotFound = new(404, "route-not-found", "No DataForge operation has this path");
    public static readonly GatewayProblem MethodNotAllowed = new(405, "method-not-allowed", "The DataForge operation does not take this method");
    public static readonly GatewayProblem BodyTooLarge = new(413, "body-too-large", "The request body is larger than the gateway accepts");
    public static readonly GatewayProblem UnsupportedMediaType = new(415, "unsupported-media-type", "The request body must be JSON");
    public static readonly GatewayProblem RateLimited = new(429, "rate-limited", "The caller is over its rate limit");
    public static readonly GatewayProblem InternalError = new(500, "internal-error", "The gateway failed to handle the request");
    public static readonly GatewayProblem UpstreamUnavailable = new(502, "upstream-unavailable", "DataForge could not be reached");
    public static readonly GatewayProblem UpstreamTokenRejected = new(502, "upstream-token-rejected", "DataForge refused the gateway's access token");
    public static readonly GatewayProblem TokenUnavailable = new(503, "token-unavailable", "No DataForge access token could be obtained");
    public static readonly GatewayProblem RateLimitUnavailable = new(503, "rate-limit-unavailable", "Rate limits cannot be checked right now");
    public static readonly GatewayProblem UpstreamBusy = new(503, "upstream-busy", "Too many requests to DataForge are in flight");
    public static readonly GatewayProblem UpstreamTimeout = new(504, "upstream-timeout", "DataForge did not answer in time");
    public static readonly GatewayProblem IdempotencyKeyInvalid = new(400, "idempotency-key-invalid", "The Idempotency-Key header is not a valid key");
    public static readonly GatewayProblem IdempotencyKeyInFlight = new(409, "idempotency-key-in-flight", "A request with this Idempotency-Key is still in progress");
    public static readonly GatewayProblem IdempotencyKeyReused = new(422, "idempotency-key-reused", "This Idempotency-Key was used for a different request");

    /// <summary>Every problem the gateway answers with, in declaration order: for the OpenAPI document and the docs.</summary>
    public static IReadOnlyList<GatewayProblem> All { get; } = [.. typeof(GatewayProblem)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(field => field.FieldType == typeof(GatewayProblem))
        .Select(field => (GatewayProblem)field.GetValue(null)!)];

    /// <summary>The problem's stable <c>type</c> URI.</summary>
    public string Type { get; } = TypePrefix + Slug;

    /// <summary>The kind the gateway uses for a bare status code, such as the 404 of an unknown path.</summary>
    public static GatewayProblem? ForStatus(int status) => status switch
    {
        400 => InvalidRequest,
        401 => ApiKeyInvalid,
        403 => Forbidden,
        404 => RouteNotFound,
        405 => MethodNotAllowed,
        413 => BodyTooLarge,
        415 => UnsupportedMediaType,
        500 => InternalError,
        502 => UpstreamUnavailable,
        503 => TokenUnavailable,
        504 => UpstreamTimeout,
        _ => null,
    };
}

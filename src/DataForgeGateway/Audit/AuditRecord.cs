using System.Diagnostics;
using System.Net;
using System.Text.Json.Serialization;
using DataForgeGateway.Primitives;
using DataForgeGateway.RateLimiting;

namespace DataForgeGateway.Audit;

/// <summary>
/// What happened to one request, filled in by each stage it passes through and written once it is over. It holds
/// who called (caller and key id, never the key), what they asked for, and what came of it.
/// </summary>
public sealed class AuditRecord : IRequestTraceFeature, IRateLimitFeature
{
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; set; }

    /// <summary>forwarded, replayed, shared, cached, denied, invalid, not_found, rate_limited, unavailable, upstream_error, caller_disconnected, error.</summary>
    [JsonPropertyName("outcome")]
    public string Outcome { get; set; } = "";

    [JsonPropertyName("caller")]
    public string? Caller { get; set; }

    [JsonPropertyName("key_id")]
    public string? KeyId { get; set; }

    [JsonPropertyName("environment")]
    public string? Environment { get; set; }

    [JsonPropertyName("operation")]
    public string? Operation { get; set; }

    [JsonPropertyName("method")]
    public string Method { get; set; } = "";

    /// <summary>The route template when a route matched, else the path (cut short, keys redacted).</summary>
    [JsonPropertyName("path")]
    public string Path { get; set; } = "";

    [JsonPropertyName("source_id")]
    public string? SourceId { get; set; }

    [JsonPropertyName("project_id")]
    public string? ProjectId { get; set; }

    [JsonPropertyName("name_filter")]
    public string? NameFilter { get; set; }

    [JsonPropertyName("status")]
    public int Status { get; set; }

    /// <summary>What DataForge answered, when the request got that far.</summary>
    [JsonPropertyName("upstream_status")]
    public int? UpstreamStatus { get; set; }

    [JsonPropertyName("duration_ms")]
    public double DurationMs { get; set; }

    /// <summary>Where the token came from: memory, redis, auth0; none when no token was needed or had.</summary>
    [JsonPropertyName("token_source")]
    public string? TokenSource { get; set; }

    /// <summary>The rate-limit decision: admitted or refused, where it was taken, and the remaining quota.</summary>
    [JsonPropertyName("rate_limit")]
    public string? RateLimit => _rateLimit ??= RateLimitDecision is { } decision ? Describe(decision) : null;

    [JsonPropertyName("client_address")]
    public string? ClientAddress => _clientAddress ??= ClientIp?.ToString();

    [JsonPropertyName("trace_id")]
    public string? TraceId => _traceId ??= Trace.TraceId == default ? null : Trace.TraceId.ToHexString();

    // Kept as they come and turned into text on the audit writer's thread, not on the request's.
    private string? _rateLimit;
    private string? _clientAddress;
    private string? _traceId;

    internal RateLimitDecision? RateLimitDecision { get; set; }

    RateLimitDecision? IRateLimitFeature.Decision
    {
        get => RateLimitDecision;
        set => RateLimitDecision = value;
    }

    internal IPAddress? ClientIp { get; set; }

    /// <summary>The request's trace context (<see cref="RequestTrace"/>).</summary>
    [JsonIgnore]
    public ActivityContext Trace { get; internal set; }

    private static string Describe(RateLimitDecision decision) => decision.Admitted
        ? $"admitted:{SourceName(decision.Source)}{(decision.Applied.Length == 0 ? "" : $":r={decision.MinRemaining}")}"
        : $"refused:{SourceName(decision.Source)}:{decision.RefusedBy}";

    private static string SourceName(DecisionSource source) => source switch
    {
        DecisionSource.Shared => "redis",
        DecisionSource.Local => "local",
        DecisionSource.LocalFallback => "local-fallback",
        DecisionSource.OpenFallback => "open-fallback",
        _ => "closed-fallback",
    };
}

/// <summary>The audit record's JSON, generated at build time: no reflection, no allocation per record.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;

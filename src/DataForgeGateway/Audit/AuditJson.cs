using System.Text.Json;

namespace DataForgeGateway.Audit;

/// <summary>
/// The audit record as one JSON line, written field by field in UTF-8: names encoded once, the derived fields (rate
/// limit, client address, trace id) formatted straight into the line instead of into strings first, empty fields
/// left out. It was the source-generated serializer, and the largest piece of the gateway's own work on a busy
/// replica's profile.
/// </summary>
internal static class AuditJson
{
    /// <summary>The fields' names, in <see cref="AuditField"/>'s order, the order they are written: the log record's attributes use them too.</summary>
    public static readonly string[] Names =
    [
        "time", "outcome", "caller", "key_id", "subject", "environment", "operation", "method", "path", "source_id", "project_id",
        "name_filter", "status", "upstream_status", "duration_ms", "token_source", "rate_limit", "client_address", "trace_id",
    ];

    private static readonly JsonEncodedText[] Encoded = [.. Names.Select(name => JsonEncodedText.Encode(name))];

    private static JsonEncodedText Name(AuditField field) => Encoded[(int)field];

    public static void Write(Utf8JsonWriter json, AuditRecord record)
    {
        json.WriteStartObject();
        json.WriteString(Name(AuditField.Time), record.Time);
        json.WriteString(Name(AuditField.Outcome), record.Outcome);
        Optional(json, Name(AuditField.Caller), record.Caller);
        Optional(json, Name(AuditField.KeyId), record.KeyId);
        Optional(json, Name(AuditField.Subject), record.Subject);
        Optional(json, Name(AuditField.Environment), record.Environment);
        Optional(json, Name(AuditField.Operation), record.Operation);
        json.WriteString(Name(AuditField.Method), record.Method);
        json.WriteString(Name(AuditField.Path), record.Path);
        Optional(json, Name(AuditField.SourceId), record.SourceId);
        Optional(json, Name(AuditField.ProjectId), record.ProjectId);
        Optional(json, Name(AuditField.NameFilter), record.NameFilter);
        json.WriteNumber(Name(AuditField.Status), record.Status);
        if (record.UpstreamStatus is { } upstream)
        {
            json.WriteNumber(Name(AuditField.UpstreamStatus), upstream);
        }

        json.WriteNumber(Name(AuditField.DurationMs), record.DurationMs);
        Optional(json, Name(AuditField.TokenSource), record.TokenSource);
        Span<byte> text = stackalloc byte[128];
        if (record.RateLimitDecision is { } decision)
        {
            json.WriteString(Name(AuditField.RateLimit), text[..AuditRecord.FormatRateLimit(decision, text)]);
        }

        if (record.ClientIp is { } address && address.TryFormat(text, out var length))
        {
            json.WriteString(Name(AuditField.ClientAddress), text[..length]);
        }

        if (record.Trace.TraceId != default)
        {
            Span<byte> id = stackalloc byte[16];
            record.Trace.TraceId.CopyTo(id);
            Convert.TryToHexStringLower(id, text, out length);
            json.WriteString(Name(AuditField.TraceId), text[..length]);
        }

        json.WriteEndObject();
    }

    private static void Optional(Utf8JsonWriter json, JsonEncodedText name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}

/// <summary>The fields of an audit record, in the order of its JSON line (<see cref="AuditJson.Names"/>).</summary>
internal enum AuditField
{
    Time,
    Outcome,
    Caller,
    KeyId,
    Subject,
    Environment,
    Operation,
    Method,
    Path,
    SourceId,
    ProjectId,
    NameFilter,
    Status,
    UpstreamStatus,
    DurationMs,
    TokenSource,
    RateLimit,
    ClientAddress,
    TraceId,
}

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
    /// <summary>The fields of a record, in the order they are written: the log record's attributes use them too.</summary>
    public static readonly string[] Names =
    [
        "time", "outcome", "caller", "key_id", "environment", "operation", "method", "path", "source_id", "project_id",
        "name_filter", "status", "upstream_status", "duration_ms", "token_source", "rate_limit", "client_address", "trace_id",
    ];

    private static readonly JsonEncodedText[] Encoded = [.. Names.Select(name => JsonEncodedText.Encode(name))];

    public static void Write(Utf8JsonWriter json, AuditRecord record)
    {
        json.WriteStartObject();
        json.WriteString(Encoded[0], record.Time);
        json.WriteString(Encoded[1], record.Outcome);
        Optional(json, Encoded[2], record.Caller);
        Optional(json, Encoded[3], record.KeyId);
        Optional(json, Encoded[4], record.Environment);
        Optional(json, Encoded[5], record.Operation);
        json.WriteString(Encoded[6], record.Method);
        json.WriteString(Encoded[7], record.Path);
        Optional(json, Encoded[8], record.SourceId);
        Optional(json, Encoded[9], record.ProjectId);
        Optional(json, Encoded[10], record.NameFilter);
        json.WriteNumber(Encoded[11], record.Status);
        if (record.UpstreamStatus is { } upstream)
        {
            json.WriteNumber(Encoded[12], upstream);
        }

        json.WriteNumber(Encoded[13], record.DurationMs);
        Optional(json, Encoded[14], record.TokenSource);
        Span<byte> text = stackalloc byte[128];
        if (record.RateLimitDecision is { } decision)
        {
            json.WriteString(Encoded[15], text[..AuditRecord.FormatRateLimit(decision, text)]);
        }

        if (record.ClientIp is { } address && address.TryFormat(text, out var length))
        {
            json.WriteString(Encoded[16], text[..length]);
        }

        if (record.Trace.TraceId != default)
        {
            Span<byte> id = stackalloc byte[16];
            record.Trace.TraceId.CopyTo(id);
            Convert.TryToHexStringLower(id, text, out length);
            json.WriteString(Encoded[17], text[..length]);
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

using System.Text.Json;
using System.Text.Json.Serialization;
using DataForgeGateway.Answers;

namespace DataForgeGateway.Idempotency;

/// <summary>
/// What is kept under one caller's key: the request it was first used for (<see cref="Fingerprint"/>: environment
/// and source), and either the replica working on it (<see cref="Owner"/>, in flight) or DataForge's answer.
/// Stored encrypted (AES-GCM, like tokens, bound to its storage key): answers can carry data of the caller's.
/// </summary>
internal sealed record IdempotencyRecord(
    [property: JsonPropertyName("f")] string Fingerprint,
    [property: JsonPropertyName("o")] string? Owner,
    [property: JsonPropertyName("s")] int Status,
    [property: JsonPropertyName("c")] string? ContentType,
    [property: JsonPropertyName("b")] byte[]? Body,
    [property: JsonPropertyName("t")] long StoredAtUnixMs)
{
    [JsonIgnore]
    public bool InFlight => Owner is not null;

    public static IdempotencyRecord Claim(string fingerprint) => new(fingerprint, Guid.NewGuid().ToString("N"), 0, null, null, 0);

    public byte[] Protect(AnswerProtection protection, string storageKey) =>
        protection.Protect(JsonSerializer.SerializeToUtf8Bytes(this, IdempotencyJsonContext.Default.IdempotencyRecord), storageKey);

    /// <summary>The record, or null when it does not decrypt (another key, a rotated secret) or parse.</summary>
    public static IdempotencyRecord? Unprotect(byte[] stored, AnswerProtection protection, string storageKey)
    {
        if (protection.Unprotect(stored, storageKey) is not { } plaintext)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(plaintext, IdempotencyJsonContext.Default.IdempotencyRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(IdempotencyRecord))]
internal sealed partial class IdempotencyJsonContext : JsonSerializerContext;

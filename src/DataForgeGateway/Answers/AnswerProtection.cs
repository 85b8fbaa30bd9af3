using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Answers;

/// <summary>
/// Answers kept for other requests (an idempotent retry's, a cached read's) are stored sealed, as tokens are
/// (<see cref="StoredValueCipher"/>, bound to their storage key): they can carry data of the caller's. The key is
/// <see cref="StorageKeys.Answers"/>: <c>Gateway:Tokens:EncryptionKey</c>, else derived from the default
/// environment's credential.
/// </summary>
public sealed class AnswerProtection(StorageKeys keys)
{
    /// <summary>The answer's bytes, sealed under its storage key.</summary>
    public byte[] Protect(ReadOnlySpan<byte> answer, string storageKey) => StoredValueCipher.Protect(answer, keys.Answers, storageKey);

    /// <summary>The answer's bytes; null when they do not open (another key, a rotated secret, another storage key).</summary>
    public byte[]? Unprotect(byte[] stored, string storageKey) => StoredValueCipher.Unprotect(stored, keys.Answers, storageKey);
}

using System.Security.Cryptography;
using System.Text;

namespace DataForgeGateway.Primitives;

/// <summary>
/// What the gateway stores for other replicas (tokens, kept and shared answers) is sealed with AES-256-GCM. The
/// storage key is the associated data, so a value copied under another key does not open. Anything that fails to
/// open is a miss, never an error.
/// </summary>
public static class StoredValueCipher
{
    private const byte Version = 2;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>A configured key: the Base64 of exactly 32 bytes; null when empty or not that.</summary>
    public static byte[]? ParseKey(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        var bytes = new byte[32];
        return Convert.TryFromBase64String(base64.Trim(), bytes, out var written) && written == 32 ? bytes : null;
    }

    public static byte[] Protect(ReadOnlySpan<byte> plaintext, byte[] key, string storageKey)
    {
        var result = new byte[1 + NonceSize + TagSize + plaintext.Length];
        result[0] = Version;
        var nonce = result.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, result.AsSpan(1 + NonceSize + TagSize), result.AsSpan(1 + NonceSize, TagSize), Encoding.UTF8.GetBytes(storageKey));
        return result;
    }

    public static byte[]? Unprotect(byte[] stored, byte[] key, string storageKey)
    {
        if (stored.Length < 1 + NonceSize + TagSize || stored[0] != Version)
        {
            return null;
        }

        var plaintext = new byte[stored.Length - 1 - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(
                stored.AsSpan(1, NonceSize), stored.AsSpan(1 + NonceSize + TagSize), stored.AsSpan(1 + NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(storageKey));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}

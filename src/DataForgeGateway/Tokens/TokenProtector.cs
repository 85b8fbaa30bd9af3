using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Tokens;

/// <summary>
/// Encrypts a token for Redis with AES-256-GCM. The cache key is the associated data, so a value copied under
/// another key does not decrypt. Anything that fails to decrypt is a miss, never an error.
/// </summary>
internal static class TokenProtector
{
    private const byte Version = 2;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] DerivationSalt = "dataforge-gateway token cache"u8.ToArray();

    /// <summary>When the private key cannot be read (the token fetch fails for it too): a key of this process alone, never a known one.</summary>
    private static readonly string Unshared = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The configured key, or one derived from the credential every replica of the environment shares: the client
    /// secret, or with <c>PrivateKeyJwt</c> the private key as read now (a rotated key derives another: set
    /// <c>Gateway:Tokens:EncryptionKey</c> for a key that outlives rotations).
    /// </summary>
    public static byte[] KeyFor(Auth0Options auth0, string configuredKey) =>
        ParseKey(configuredKey) ?? HKDF.DeriveKey(
            HashAlgorithmName.SHA256,
            Encoding.UTF8.GetBytes(auth0.ClientAuthentication == ClientAuthentication.PrivateKeyJwt ? auth0.ReadPrivateKey(out _) ?? Unshared : auth0.ClientSecret),
            32,
            DerivationSalt,
            "token-cache-key:v2"u8.ToArray());

    public static byte[]? ParseKey(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        var bytes = new byte[32];
        return Convert.TryFromBase64String(base64.Trim(), bytes, out var written) && written == 32 ? bytes : null;
    }

    public static byte[] Protect(ReadOnlySpan<byte> plaintext, byte[] key, string cacheKey)
    {
        var result = new byte[1 + NonceSize + TagSize + plaintext.Length];
        result[0] = Version;
        var nonce = result.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, result.AsSpan(1 + NonceSize + TagSize), result.AsSpan(1 + NonceSize, TagSize), Encoding.UTF8.GetBytes(cacheKey));
        return result;
    }

    public static byte[]? Unprotect(byte[] stored, byte[] key, string cacheKey)
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
                stored.AsSpan(1, NonceSize), stored.AsSpan(1 + NonceSize + TagSize), stored.AsSpan(1 + NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(cacheKey));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}

/// <summary>A token as stored: format byte, issued and expiry times (Unix milliseconds), the token's UTF-8 bytes.</summary>
internal static class TokenCodec
{
    private const byte Format = 1;
    private const int HeaderLength = 1 + 8 + 8;

    internal static byte[] Encode(AccessToken token)
    {
        var value = Encoding.UTF8.GetBytes(token.Value);
        var bytes = new byte[HeaderLength + value.Length];
        bytes[0] = Format;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1), token.IssuedAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(9), token.ExpiresAt.ToUnixTimeMilliseconds());
        value.CopyTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }

    /// <summary>A value this version cannot read is a miss: it gets replaced by a fresh token.</summary>
    internal static AccessToken? Decode(byte[] bytes, TimeSpan safetyMargin)
    {
        if (bytes.Length <= HeaderLength || bytes[0] != Format)
        {
            return null;
        }

        try
        {
            var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(1)));
            var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(9)));
            var value = new UTF8Encoding(false, true).GetString(bytes, HeaderLength, bytes.Length - HeaderLength);
            return expiresAt > issuedAt ? new AccessToken(value, issuedAt, expiresAt, safetyMargin) : null;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or DecoderFallbackException)
        {
            return null;
        }
    }
}

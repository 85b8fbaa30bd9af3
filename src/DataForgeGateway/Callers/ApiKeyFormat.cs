using System.Buffers;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace DataForgeGateway.Callers;

/// <summary>
/// The gateway's API key format: <c>dfgw_&lt;key id&gt;_&lt;secret&gt;&lt;checksum&gt;</c>. The prefix lets secret
/// scanners spot a leaked key; the key id (public, in audit records) finds the key's entry without a hash
/// lookup; the six-character CRC-32 checksum makes a typo fail before any lookup.
/// </summary>
public static class ApiKeyFormat
{
    public const string Prefix = "dfgw_";
    public const int KeyIdLength = 12;
    public const int SecretLength = 32;
    public const int ChecksumLength = 6;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string KeyIdAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static readonly SearchValues<char> KeyIdCharacters = SearchValues.Create(KeyIdAlphabet);

    /// <summary>A new random key id and key.</summary>
    public static (string KeyId, string Key) New()
    {
        var keyId = RandomNumberGenerator.GetString(KeyIdAlphabet, KeyIdLength);
        var secret = RandomNumberGenerator.GetString(Alphabet, SecretLength);
        return (keyId, WithChecksum($"{Prefix}{keyId}_{secret}"));
    }

    /// <summary>Appends the checksum to a key's prefix, id and secret.</summary>
    public static string WithChecksum(string body)
    {
        Span<char> checksum = stackalloc char[ChecksumLength];
        Checksum(body, checksum);
        return body + new string(checksum);
    }

    /// <summary>What a presented key is, judged by its shape alone.</summary>
    public static KeyShape Inspect(ReadOnlySpan<char> key, out ReadOnlySpan<char> keyId)
    {
        keyId = default;
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return KeyShape.Unprefixed;
        }

        if (key.Length > KeyDigest.MaxKeyLength)
        {
            return KeyShape.Malformed;
        }

        var rest = key[Prefix.Length..];
        var separator = rest.IndexOf('_');
        if (separator <= 0 || rest.Length - separator - 1 != SecretLength + ChecksumLength)
        {
            return KeyShape.Malformed;
        }

        var id = rest[..separator];
        Span<char> checksum = stackalloc char[ChecksumLength];
        Checksum(key[..^ChecksumLength], checksum);
        if (!IsKeyId(id) || !key[^ChecksumLength..].SequenceEqual(checksum))
        {
            return KeyShape.Malformed;
        }

        keyId = id;
        return KeyShape.Valid;
    }

    /// <summary>Whether this is a key id the gateway would issue (and operators may configure).</summary>
    public static bool IsKeyId(ReadOnlySpan<char> keyId) =>
        keyId.Length is >= 4 and <= 32 && !keyId.ContainsAnyExcept(KeyIdCharacters);

    /// <summary>CRC-32 of the key's UTF-8 bytes, in six base-62 digits; written into <paramref name="digits"/>, allocating nothing.</summary>
    private static void Checksum(ReadOnlySpan<char> body, Span<char> digits)
    {
        Span<byte> bytes = stackalloc byte[KeyDigest.MaxKeyLength * 3];
        var length = Encoding.UTF8.GetBytes(body, bytes);
        var crc = Crc32.HashToUInt32(bytes[..length]);
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            digits[i] = Alphabet[(int)(crc % 62)];
            crc /= 62;
        }
    }
}

/// <summary>What a presented key looks like before any lookup.</summary>
public enum KeyShape
{
    /// <summary>Prefix, key id, secret and checksum all in order.</summary>
    Valid,

    /// <summary>Starts like a gateway key, but the checksum or the shape is wrong: a typo or a truncated copy.</summary>
    Malformed,

    /// <summary>Not in the gateway's format: a key configured by <c>Sha256</c> alone.</summary>
    Unprefixed,
}

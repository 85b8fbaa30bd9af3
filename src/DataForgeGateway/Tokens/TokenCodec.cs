using System.Buffers.Binary;
using System.Text;

namespace DataForgeGateway.Tokens;

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

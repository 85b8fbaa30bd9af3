using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DataForgeGateway.WorkloadIdentity;

/// <summary>The SHA-256 of a workload token as four words: what validated tokens are remembered by, never the token.</summary>
internal readonly record struct TokenDigest(ulong A, ulong B, ulong C, ulong D)
{
    public static TokenDigest Compute(ReadOnlySpan<char> token)
    {
        // A JWT is ASCII (base64url and dots): the validator refuses anything else before it gets here.
        Span<byte> ascii = stackalloc byte[WorkloadTokenValidator.MaxTokenLength];
        Ascii.FromUtf16(token, ascii, out var length);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(ascii[..length], hash);
        return new TokenDigest(
            BinaryPrimitives.ReadUInt64BigEndian(hash),
            BinaryPrimitives.ReadUInt64BigEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(hash[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(hash[24..]));
    }
}

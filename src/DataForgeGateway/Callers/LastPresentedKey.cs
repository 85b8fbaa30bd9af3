using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Connections.Features;

namespace DataForgeGateway.Callers;

/// <summary>
/// The last API key a connection presented, with its SHA-256. A client sends the same key on every request of a
/// kept-alive connection, so the hash is computed once a connection (and again whenever the key changes), not once a
/// request. Only the hash is reused: the lookup, the key's validity window and a reload of the keys apply to every
/// request as before.
/// </summary>
/// <remarks>
/// Kept in Kestrel's state for the connection (<see cref="IPersistentStateFeature"/>: one per HTTP/1.x connection,
/// whose requests run one after another, and one per pooled HTTP/2 stream), so no two requests use one at once. Behind
/// an ingress a connection carries many callers' requests in turn: the keys are compared in fixed time, and a key
/// that matches is the whole key, never a prefix or a hash of it. The key stays referenced as long as the connection
/// or until the next key replaces it, as Kestrel's own request strings do until they are collected.
/// </remarks>
internal sealed class LastPresentedKey
{
    private static readonly object StateKey = new();

    private string? _key;
    private KeyDigest _digest;

    /// <summary>The connection's, made on its first request; null where the server keeps no state for connections.</summary>
    public static LastPresentedKey? Of(HttpContext context)
    {
        if (context.Features.Get<IPersistentStateFeature>()?.State is not { } state)
        {
            return null;
        }

        if (state.TryGetValue(StateKey, out var value) && value is LastPresentedKey last)
        {
            return last;
        }

        last = new LastPresentedKey();
        state[StateKey] = last;
        return last;
    }

    /// <summary>The SHA-256 of <paramref name="key"/>: the one computed before when the connection presented it last.</summary>
    public KeyDigest DigestOf(string key)
    {
        if (_key is { } previous && previous.Length == key.Length
            && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(previous.AsSpan()), MemoryMarshal.AsBytes(key.AsSpan())))
        {
            return _digest;
        }

        _digest = KeyDigest.Compute(key);
        _key = key;
        return _digest;
    }
}

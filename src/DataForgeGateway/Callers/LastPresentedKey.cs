using DataForgeGateway.Primitives;
using Microsoft.AspNetCore.Connections.Features;

namespace DataForgeGateway.Callers;

/// <summary>
/// The last API key a connection presented, with its SHA-256 and what the caller directory found it to be. A client
/// sends the same key on every request of a kept-alive connection, so the key is hashed and looked up once a
/// connection (and again whenever the key changes or the keys are reloaded), not once a request. The key's validity
/// window is checked on every request as before.
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

    /// <summary>The SHA-256 of the key presented last.</summary>
    public KeyDigest Digest { get; private set; }

    /// <summary>What the caller directory found the key presented last to be, and in which of its builds.</summary>
    public CallerDirectory.Found Found { get; set; }

    /// <summary>
    /// <paramref name="key"/> is presented: if it is the key presented last, everything known of it stays; otherwise
    /// it becomes the last key, with its hash, and nothing is known yet of what it is.
    /// </summary>
    public void Present(string key)
    {
        if (_key is { } previous && FixedTimeEquals(previous, key))
        {
            return;
        }

        Digest = KeyDigest.Compute(key);
        Found = default;
        _key = key;
    }

    /// <summary>Whether two keys are equal, in a time that depends on their length only (<see cref="FixedTime.AreEqual(string, string)"/>).</summary>
    internal static bool FixedTimeEquals(string left, string right) => FixedTime.AreEqual(left, right);
}

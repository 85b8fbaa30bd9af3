using Microsoft.AspNetCore.Connections.Features;

namespace DataForgeGateway.WorkloadIdentity;

/// <summary>
/// The last workload token a connection presented and what it was found to be, as <c>LastPresentedKey</c> does for
/// keys: a client sends the same token on every request of a kept-alive connection, so it is compared (in full, in
/// fixed time) instead of hashed and looked up again. Whether it still holds (the same settings and key set, not
/// expired) is checked on every request.
/// </summary>
internal sealed class LastPresentedToken
{
    private static readonly object StateKey = new();

    /// <summary>The token presented last; null before the first.</summary>
    public string? Token { get; private set; }

    /// <summary>What validation found it to be, when it checked out.</summary>
    internal object? Validated { get; private set; }

    /// <summary>The connection's, made on its first request; null where the server keeps no state for connections.</summary>
    public static LastPresentedToken? Of(HttpContext context)
    {
        if (context.Features.Get<IPersistentStateFeature>()?.State is not { } state)
        {
            return null;
        }

        if (state.TryGetValue(StateKey, out var value) && value is LastPresentedToken last)
        {
            return last;
        }

        last = new LastPresentedToken();
        state[StateKey] = last;
        return last;
    }

    /// <summary>What is known of <paramref name="token"/> on this connection: its validation if it is the token presented last.</summary>
    public object? Recall(ReadOnlySpan<char> token) => Token is { } previous && Primitives.FixedTime.AreEqual(previous, token) ? Validated : null;

    public void Remember(string token, object? validated)
    {
        Token = token;
        Validated = validated;
    }
}

using System.Collections.Frozen;
using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Callers;

/// <summary>Finds the caller an API key belongs to. Rebuilt when the configured callers change, without a restart.</summary>
internal sealed class CallerDirectory : IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<KeyDigest, ClaimsPrincipal> _byDigest;

    public CallerDirectory(IOptionsMonitor<CallersOptions> options)
    {
        _byDigest = Build(options.CurrentValue);
        _subscription = options.OnChange(updated => _byDigest = Build(updated));
    }

    /// <summary>The caller whose key this is, or null. The principal is shared: never modify it.</summary>
    public ClaimsPrincipal? Find(ReadOnlySpan<char> apiKey) =>
        apiKey.Length is > 0 and <= KeyDigest.MaxKeyLength && _byDigest.TryGetValue(KeyDigest.Compute(apiKey), out var caller)
            ? caller
            : null;

    public void Dispose() => _subscription?.Dispose();

    private static FrozenDictionary<KeyDigest, ClaimsPrincipal> Build(CallersOptions options)
    {
        var byDigest = new Dictionary<KeyDigest, ClaimsPrincipal>();
        foreach (var (caller, settings) in options.Callers)
        {
            var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, caller)], ApiKeyAuthenticationHandler.SchemeName));
            foreach (var key in settings.Keys)
            {
                if (KeyDigest.TryParse(key.Sha256, out var digest))
                {
                    byDigest.TryAdd(digest, principal);
                }
            }
        }

        return byDigest.ToFrozenDictionary();
    }
}

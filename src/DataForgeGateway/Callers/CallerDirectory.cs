using System.Collections.Frozen;
using System.Security.Claims;
using DataForgeGateway.Hosting;

namespace DataForgeGateway.Callers;

/// <summary>Finds the caller an API key belongs to. Rebuilt when the configured callers change, without a restart.</summary>
internal sealed class CallerDirectory : IDisposable
{
    private readonly LiveOptions<CallersOptions> _options;
    private volatile FrozenDictionary<KeyDigest, ClaimsPrincipal>? _byDigest;

    public CallerDirectory(LiveOptions<CallersOptions> options)
    {
        _options = options;
        _options.Changed += Rebuild;
    }

    /// <summary>The caller whose key this is, or null. The principal is shared: never modify it.</summary>
    public ClaimsPrincipal? Find(ReadOnlySpan<char> apiKey) =>
        apiKey.Length is > 0 and <= KeyDigest.MaxKeyLength
        && (_byDigest ??= Build(_options.Current)).TryGetValue(KeyDigest.Compute(apiKey), out var caller)
            ? caller
            : null;

    public void Dispose() => _options.Changed -= Rebuild;

    private void Rebuild(CallersOptions options) => _byDigest = Build(options);

    private static FrozenDictionary<KeyDigest, ClaimsPrincipal> Build(CallersOptions options)
    {
        var byDigest = new Dictionary<KeyDigest, ClaimsPrincipal>();
        foreach (var (caller, settings) in options.Callers)
        {
            var principal = new ClaimsPrincipal(new CallerIdentity(caller, settings));
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

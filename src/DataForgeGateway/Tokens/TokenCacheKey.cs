using System.Security.Cryptography;
using System.Text;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Tokens;

/// <summary>
/// Where a token is kept in the shared cache. Every request parameter that changes the token is in the key (a
/// cache that left one out handed out wrong tokens: CVE-2025-26620), and so is the stored format's version.
/// The secret is not: a rotated secret does not invalidate the tokens the old one got.
/// </summary>
internal static class TokenCacheKey
{
    /// <summary>v2: values are encrypted (v1 stored them in the clear).</summary>
    private const string FormatVersion = "v2";

    public static string For(Auth0Options auth0)
    {
        var extra = auth0.ExtraParameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}");
        // Length-prefixed, so no value can be made to look like two.
        var parameters = string.Concat(
            new[] { auth0.ResolveTokenUrl().AbsoluteUri, auth0.ClientId, auth0.Audience, auth0.Scope, "client_credentials" }.Concat(extra)
                .Select(part => $"{part.Length}:{part};"));
        return $"token:{FormatVersion}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(parameters)))}";
    }
}

using System.Security.Cryptography;
using System.Text;

namespace DataForgeGateway.Tokens;

/// <summary>
/// Where a token is kept in the shared cache. Every request parameter that changes the token is in the key (a
/// cache that left one out handed out wrong tokens: CVE-2025-26620), and so is the stored format's version.
/// The secret is not: a rotated secret does not invalidate the tokens the old one got.
/// </summary>
internal static class TokenCacheKey
{
    private const string FormatVersion = "v1";

    public static string For(Auth0Options auth0)
    {
        var parameters = string.Join('\n', auth0.ResolveTokenUrl().AbsoluteUri, auth0.ClientId, auth0.Audience, "client_credentials");
        return $"token:{FormatVersion}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(parameters)))}";
    }
}

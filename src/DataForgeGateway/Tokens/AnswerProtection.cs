using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Tokens;

/// <summary>
/// The key that answers kept for other requests (idempotent retries, cached reads) are encrypted with, as tokens
/// are: <c>Gateway:Tokens:EncryptionKey</c>, else derived from the default environment's client secret. Derived
/// once per options value, not per request.
/// </summary>
internal sealed class AnswerProtection(LiveOptions<GatewayOptions> gateway, LiveOptions<TokenOptions> tokens)
{
    private volatile Derived? _derived;

    public byte[] Key
    {
        get
        {
            var (settings, tokenSettings, derived) = (gateway.Current, tokens.Current, _derived);
            if (derived is not null && ReferenceEquals(derived.Gateway, settings) && ReferenceEquals(derived.Tokens, tokenSettings))
            {
                return derived.Key;
            }

            var key = TokenProtector.KeyFor(settings.Environments[settings.DefaultEnvironment].Auth0, tokenSettings.EncryptionKey);
            _derived = new Derived(settings, tokenSettings, key);
            return key;
        }
    }

    private sealed record Derived(GatewayOptions Gateway, TokenOptions Tokens, byte[] Key);
}

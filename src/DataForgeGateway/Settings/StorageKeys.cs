using System.Security.Cryptography;
using System.Text;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Settings;

/// <summary>
/// The keys what the gateway stores is sealed with (<see cref="StoredValueCipher"/>): <c>Gateway:Tokens:EncryptionKey</c>
/// when set, else one derived from a credential every replica of the environment shares. Tokens use their
/// environment's; answers kept for other requests the default environment's, derived once per options value.
/// </summary>
public sealed class StorageKeys(LiveOptions<GatewayOptions> gateway, LiveOptions<EncryptionOptions> encryption)
{
    private static readonly byte[] DerivationSalt = "dataforge-gateway token cache"u8.ToArray();

    /// <summary>When the private key cannot be read (the token fetch fails for it too): a key of this process alone, never a known one.</summary>
    private static readonly string Unshared = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private volatile Derived? _answers;

    /// <summary>The key of one environment's tokens.</summary>
    public byte[] For(Auth0Options auth0) => KeyFor(auth0, encryption.Current.EncryptionKey);

    /// <summary>The key of kept and shared answers: the default environment's.</summary>
    public byte[] Answers
    {
        get
        {
            var (settings, configured, derived) = (gateway.Current, encryption.Current, _answers);
            if (derived is not null && ReferenceEquals(derived.Gateway, settings) && ReferenceEquals(derived.Encryption, configured))
            {
                return derived.Key;
            }

            var key = KeyFor(settings.Environments[settings.DefaultEnvironment].Auth0, configured.EncryptionKey);
            _answers = new Derived(settings, configured, key);
            return key;
        }
    }

    /// <summary>
    /// The configured key, or one derived from the credential every replica of the environment shares: the client
    /// secret, or with <c>PrivateKeyJwt</c> the private key as read now (a rotated key derives another: set
    /// <c>Gateway:Tokens:EncryptionKey</c> for a key that outlives rotations).
    /// </summary>
    public static byte[] KeyFor(Auth0Options auth0, string configuredKey) =>
        StoredValueCipher.ParseKey(configuredKey) ?? HKDF.DeriveKey(
            HashAlgorithmName.SHA256,
            Encoding.UTF8.GetBytes(auth0.ClientAuthentication == ClientAuthentication.PrivateKeyJwt ? auth0.ReadPrivateKey(out _) ?? Unshared : auth0.ClientSecret),
            32,
            DerivationSalt,
            "token-cache-key:v2"u8.ToArray());

    private sealed record Derived(GatewayOptions Gateway, EncryptionOptions Encryption, byte[] Key);
}

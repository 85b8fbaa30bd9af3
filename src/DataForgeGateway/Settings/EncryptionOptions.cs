using DataForgeGateway.Primitives;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Settings;

/// <summary>
/// The key of what the gateway stores for other replicas: tokens in Redis and kept or shared answers. Its name is
/// <c>Gateway:Tokens:EncryptionKey</c> as it always was (tokens were the first thing stored); it is read here, below
/// every feature that seals something with it.
/// </summary>
public sealed class EncryptionOptions
{
    public const string SectionName = "Gateway:Tokens";

    /// <summary>
    /// Base64 of a 32-byte key that encrypts tokens in Redis (AES-256-GCM) and the answers kept for other requests.
    /// Empty: a key derived from each environment's client secret (private key), which every replica shares already.
    /// Keep it in a secret.
    /// </summary>
    public string EncryptionKey { get; set; } = "";

    internal sealed class Validator : IValidateOptions<EncryptionOptions>
    {
        public ValidateOptionsResult Validate(string? name, EncryptionOptions options) =>
            !string.IsNullOrEmpty(options.EncryptionKey) && StoredValueCipher.ParseKey(options.EncryptionKey) is null
                ? ValidateOptionsResult.Fail($"{SectionName}:EncryptionKey must be the Base64 of exactly 32 bytes (openssl rand -base64 32).")
                : ValidateOptionsResult.Success;
    }
}

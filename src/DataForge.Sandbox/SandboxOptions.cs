namespace DataForge.Sandbox;

/// <summary>The one M2M application the sandbox's Auth0 tenant knows, and how its tokens look.</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandbox";

    /// <summary>Client id of the tenant's M2M application.</summary>
    public string ClientId { get; set; } = "sandbox-client";

    /// <summary>Client secret of the tenant's M2M application.</summary>
    public string ClientSecret { get; set; } = "sandbox-secret";

    /// <summary>
    /// A PEM file of the application's public key(s) for <c>private_key_jwt</c>: when set, the application authenticates
    /// with signed assertions and no longer accepts its client secret.
    /// </summary>
    public string ClientPublicKeyFile { get; set; } = "";

    /// <summary>The API identifier (audience) the application may ask tokens for.</summary>
    public string Audience { get; set; } = "https://sandbox.api.dataforgedev.com";

    /// <summary>The tenant's domain, used as the token issuer.</summary>
    public string Domain { get; set; } = "sandbox.auth0.local";

    /// <summary>Lifetime of an issued token in seconds (Auth0's default for M2M is 86400).</summary>
    public int TokenLifetimeSeconds { get; set; } = 86400;

    /// <summary>HMAC key the tenant signs its tokens with.</summary>
    public string SigningKey { get; set; } = "sandbox-signing-key-not-a-secret-of-anyone";
}

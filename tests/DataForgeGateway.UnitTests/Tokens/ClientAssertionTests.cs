using System.Security.Cryptography;
using DataForgeGateway.Settings;
using DataForgeGateway.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataForgeGateway.UnitTests.Tokens;

/// <summary>The private_key_jwt assertion and the rules for its settings.</summary>
public sealed class ClientAssertionTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly RSA _key = RSA.Create(2048);

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task The_assertion_is_signed_by_the_key_and_says_what_Auth0_asks()
    {
        var tenant = Tenant();

        var assertion = ClientAssertion.Create(tenant, Now);

        var token = new JsonWebToken(assertion);
        Assert.Equal("client-1", token.Issuer);
        Assert.Equal("client-1", token.Subject);
        Assert.Equal(["https://dataforgedev.us.auth0.com/"], token.Audiences);
        Assert.Equal(Now.UtcDateTime, token.IssuedAt);
        Assert.Equal(Now.AddMinutes(1).UtcDateTime, token.ValidTo);
        Assert.True(Guid.TryParse(token.Id, out _));
        Assert.Equal("cred-1", token.Kid);
        Assert.Equal("RS256", token.Alg);
        var check = await new JsonWebTokenHandler().ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            IssuerSigningKey = new RsaSecurityKey(_key.ExportParameters(false)),
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
        });
        Assert.True(check.IsValid);
    }

    [Fact]
    public void Two_assertions_never_share_a_jti()
    {
        var tenant = Tenant();

        Assert.NotEqual(new JsonWebToken(ClientAssertion.Create(tenant, Now)).Id, new JsonWebToken(ClientAssertion.Create(tenant, Now)).Id);
    }

    [Fact]
    public void With_a_token_url_the_audience_is_its_scheme_and_authority_with_a_slash()
    {
        var tenant = Tenant();
        tenant.TokenUrl = "https://login.example.com:8443/oauth/token";

        Assert.Equal(["https://login.example.com:8443/"], new JsonWebToken(ClientAssertion.Create(tenant, Now)).Audiences);
    }

    public static TheoryData<string, string> Wrong => new()
    {
        { "no-key", "Auth0:PrivateKeyFile (or Auth0:PrivateKey) is required with ClientAuthentication PrivateKeyJwt" },
        { "both-keys", "Auth0:PrivateKeyFile (or Auth0:PrivateKey) is required with ClientAuthentication PrivateKeyJwt, and only one of them." },
        { "not-pem", "Auth0:PrivateKey holds no PEM RSA private key." },
        { "public-only", "Auth0:PrivateKey holds no PEM RSA private key." },
        { "short-key", "Auth0:PrivateKey holds an RSA key shorter than 2048 bits." },
        { "unreadable-file", "Auth0:PrivateKeyFile cannot be read." },
        { "secret-as-well", "Auth0:ClientSecret is set with ClientAuthentication PrivateKeyJwt" },
        { "hs256", "Auth0:SigningAlgorithm must be one of RS256, RS384, PS256." },
    };

    [Theory]
    [MemberData(nameof(Wrong))]
    public void A_wrong_private_key_setting_is_named_and_the_key_never_is(string kind, string expected)
    {
        var tenant = Tenant();
        using var shortKey = RSA.Create(1024);
        switch (kind)
        {
            case "no-key": tenant.PrivateKey = ""; break;
            case "both-keys": tenant.PrivateKeyFile = "/run/secrets/auth0.pem"; break;
            case "not-pem": tenant.PrivateKey = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----"; break;
            case "public-only": tenant.PrivateKey = _key.ExportSubjectPublicKeyInfoPem(); break;
            case "short-key": tenant.PrivateKey = shortKey.ExportPkcs8PrivateKeyPem(); break;
            case "unreadable-file": tenant.PrivateKey = ""; tenant.PrivateKeyFile = "/no/such/auth0.pem"; break;
            case "secret-as-well": tenant.ClientSecret = "left-behind"; break;
            case "hs256": tenant.SigningAlgorithm = "HS256"; break;
        }

        var failures = new List<string>();
        tenant.Validate("Auth0", failures);

        var failure = Assert.Single(failures);
        Assert.StartsWith(expected, failure);
        Assert.DoesNotContain("MII", failure, StringComparison.Ordinal);
    }

    private Auth0Options Tenant() => new()
    {
        Domain = "dataforgedev.us.auth0.com",
        ClientId = "client-1",
        Audience = "https://stage.api.dataforgedev.com",
        ClientAuthentication = ClientAuthentication.PrivateKeyJwt,
        PrivateKey = _key.ExportPkcs8PrivateKeyPem(),
        KeyId = "cred-1",
    };
}

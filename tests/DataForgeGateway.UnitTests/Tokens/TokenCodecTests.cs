using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;
using DataForgeGateway.Tokens;

namespace DataForgeGateway.UnitTests.Tokens;

public sealed class TokenCodecTests
{
    private static readonly DateTimeOffset Issued = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_stored_token_reads_back_with_its_lifetime()
    {
        var token = new AccessToken("eyJ.payload.sig", Issued, Issued.AddHours(24), TimeSpan.FromMinutes(5));

        var read = TokenCodec.Decode(TokenCodec.Encode(token), TimeSpan.FromMinutes(5));

        Assert.NotNull(read);
        Assert.Equal((token.Value, token.IssuedAt, token.ExpiresAt, token.UsableUntil), (read.Value, read.IssuedAt, read.ExpiresAt, read.UsableUntil));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 65 })] // an unknown format version
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 2, 65 })] // expires before it was issued
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0xff })] // not UTF-8
    public void A_value_this_version_cannot_read_is_a_miss(byte[] stored) =>
        Assert.Null(TokenCodec.Decode(stored, TimeSpan.FromMinutes(5)));

    [Fact]
    public void A_protected_token_decrypts_only_with_its_key_and_under_its_cache_key()
    {
        var key = StorageKeys.KeyFor(new Auth0Options { ClientSecret = "s" }, "");
        var plaintext = TokenCodec.Encode(new AccessToken("eyJ.secret.token", Issued, Issued.AddHours(1), TimeSpan.Zero));

        var stored = StoredValueCipher.Protect(plaintext, key, "token:v2:aa");

        Assert.DoesNotContain("secret", System.Text.Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        Assert.Equal(plaintext, StoredValueCipher.Unprotect(stored, key, "token:v2:aa"));
        Assert.Null(StoredValueCipher.Unprotect(stored, key, "token:v2:bb"));
        Assert.Null(StoredValueCipher.Unprotect(stored, StorageKeys.KeyFor(new Auth0Options { ClientSecret = "rotated" }, ""), "token:v2:aa"));
        stored[^1] ^= 1;
        Assert.Null(StoredValueCipher.Unprotect(stored, key, "token:v2:aa"));
    }

    [Fact]
    public void A_configured_encryption_key_is_used_as_given()
    {
        var configured = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

        Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)i), StorageKeys.KeyFor(new Auth0Options { ClientSecret = "s" }, configured));
        Assert.Null(StoredValueCipher.ParseKey(Convert.ToBase64String(new byte[16])));
        Assert.Null(StoredValueCipher.ParseKey("not base64!"));
    }

    [Fact]
    public void The_cache_key_changes_with_every_token_parameter_but_not_the_secret()
    {
        var baseline = new Auth0Options { Domain = "t.auth0.com", ClientId = "c", ClientSecret = "s", Audience = "a" };
        var key = TokenCacheKey.For(baseline);

        Assert.NotEqual(key, TokenCacheKey.For(new Auth0Options { Domain = "u.auth0.com", ClientId = "c", ClientSecret = "s", Audience = "a" }));
        Assert.NotEqual(key, TokenCacheKey.For(new Auth0Options { Domain = "t.auth0.com", ClientId = "d", ClientSecret = "s", Audience = "a" }));
        Assert.NotEqual(key, TokenCacheKey.For(new Auth0Options { Domain = "t.auth0.com", ClientId = "c", ClientSecret = "s", Audience = "b" }));
        Assert.NotEqual(key, TokenCacheKey.For(new Auth0Options { Domain = "t.auth0.com", ClientId = "c", ClientSecret = "s", Audience = "a", Scope = "read" }));
        Assert.NotEqual(key, TokenCacheKey.For(new Auth0Options { Domain = "t.auth0.com", ClientId = "c", ClientSecret = "s", Audience = "a", ExtraParameters = { ["organization"] = "o1" } }));
        Assert.NotEqual(key, TokenCacheKey.For(new Auth0Options { TokenUrl = "http://t.auth0.com/oauth/token", ClientId = "c", ClientSecret = "s", Audience = "a" }));
        Assert.Equal(key, TokenCacheKey.For(new Auth0Options { Domain = "t.auth0.com", ClientId = "c", ClientSecret = "rotated", Audience = "a" }));
        Assert.Matches("^token:v2:[0-9a-f]{64}$", key); // parameters are hashed, not spelled out
    }
}

using DataForgeGateway.Tokens;

namespace DataForgeGateway.Tests.Tokens;

public sealed class DistributedTokenStoreTests
{
    private static readonly DateTimeOffset Issued = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_stored_token_reads_back_with_its_lifetime()
    {
        var token = new AccessToken("eyJ.payload.sig", Issued, Issued.AddHours(24), TimeSpan.FromMinutes(5));

        var read = DistributedTokenStore.Decode(DistributedTokenStore.Encode(token), TimeSpan.FromMinutes(5));

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
        Assert.Null(DistributedTokenStore.Decode(stored, TimeSpan.FromMinutes(5)));

    [Fact]
    public void The_cache_key_changes_with_every_token_parameter_but_not_the_secret()
    {
        var baseline = new Auth0Options { Domain = "t.auth0.com", ClientId = "c", ClientSecret = "s", Audience = "a" };
        var key = TokenCacheKey.For(baseline);

        Assert.NotEqual(key, TokenCacheKey.For(new Auth0Options { Domain = "u.auth0.com", ClientId = "c", ClientSecret = "s", Audience = "a" }));
        Assert.NotEqual(key, TokenCacheKey.For(new Auth0Options { Domain = "t.auth0.com", ClientId = "d", ClientSecret = "s", Audience = "a" }));
        Assert.NotEqual(key, TokenCacheKey.For(new Auth0Options { Domain = "t.auth0.com", ClientId = "c", ClientSecret = "s", Audience = "b" }));
        Assert.Equal(key, TokenCacheKey.For(new Auth0Options { Domain = "t.auth0.com", ClientId = "c", ClientSecret = "rotated", Audience = "a" }));
        Assert.Matches("^token:v1:[0-9a-f]{64}$", key); // parameters are hashed, not spelled out
    }
}

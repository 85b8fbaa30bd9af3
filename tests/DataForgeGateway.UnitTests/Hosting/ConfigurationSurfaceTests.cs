using DataForgeGateway.Hosting;

namespace DataForgeGateway.UnitTests.Hosting;

/// <summary>An unknown key is named with the closest one the gateway knows at the same place.</summary>
public sealed class ConfigurationSurfaceTests
{
    [Theory]
    [InlineData("Gateway:Callers:billing-svc:ProjectId:0", "Gateway:Callers:billing-svc:ProjectIds:0")]
    [InlineData("Gateway:Redis:ConnectonString", "Gateway:Redis:ConnectionString")]
    [InlineData("Gateway:Environments:stage:Auth0:ClientSecrett", "Gateway:Environments:stage:Auth0:ClientSecret")]
    [InlineData("Gateway:RateLimit:Default:Burst", "Gateway:RateLimits:Default:Burst")]
    public void A_typo_is_answered_with_the_key_meant(string typo, string meant)
    {
        Assert.False(ConfigurationSurface.IsKnown(typo));
        Assert.Equal(meant, ConfigurationSurface.Suggest(typo));
    }

    [Fact]
    public void Nothing_close_is_suggested_for_a_key_unlike_any()
    {
        Assert.Null(ConfigurationSurface.Suggest("Gateway:Nonsense:Thing"));
        Assert.True(ConfigurationSurface.IsKnown("gateway:callers:billing-svc:keys:0:sha256"));
    }
}

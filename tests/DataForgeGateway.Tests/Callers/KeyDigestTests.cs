using DataForgeGateway.Callers;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Callers;

public sealed class KeyDigestTests
{
    [Fact]
    public void Compute_matches_the_hex_hash_operators_configure() =>
        Assert.Equal(GatewayHost.Sha256("some key ü"), KeyDigest.Compute("some key ü").ToString());

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("C15385D1BB4E1DD1D967B62F5F6DCB68A69051E7D6250E0985122C8575B5EB45")]
    [InlineData("g15385d1bb4e1dd1d967b62f5f6dcb68a69051e7d6250e0985122c8575b5eb45")]
    [InlineData("c15385d1bb4e1dd1d967b62f5f6dcb68a69051e7d6250e0985122c8575b5eb4")]
    public void TryParse_refuses_anything_but_64_lower_case_hex_digits(string hex) =>
        Assert.False(KeyDigest.TryParse(hex, out _));

    [Fact]
    public void TryParse_and_Compute_agree()
    {
        Assert.True(KeyDigest.TryParse(GatewayHost.Sha256("k"), out var parsed));
        Assert.Equal(KeyDigest.Compute("k"), parsed);
    }
}

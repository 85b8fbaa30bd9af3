using DataForgeGateway.Api;

namespace DataForgeGateway.UnitTests.Routing;

/// <summary>A name filter's raw segment decoded exactly once, checked as text, and encoded once for DataForge.</summary>
public sealed class NameFilterTests
{
    [Theory]
    [InlineData("demo", "demo")]
    [InlineData("orders.v2", "orders.v2")]
    [InlineData("Sales%20(EU)", "Sales (EU)")]
    [InlineData("a%252Fb", "a%2Fb")]            // double-encoded: the text %2F, never a slash
    [InlineData("%D0%9F%D1%80%D0%BE", "Про")]
    [InlineData("O'Neil", "O'Neil")]
    [InlineData("a+b", "a+b")]
    public void A_segment_is_decoded_once(string raw, string expected)
    {
        Assert.Null(NameFilter.Decode(raw, out var value));
        Assert.Equal(expected, value);
        Assert.Equal(expected, Uri.UnescapeDataString(NameFilter.Encode(value)));
    }

    [Theory]
    [InlineData("a%2Fb")]
    [InlineData("a%5Cb")]
    [InlineData("%2E%2E")]
    [InlineData(".")]
    [InlineData("a%0Ab")]
    [InlineData("a%2")]
    [InlineData("%FF%FE")]
    [InlineData("%20%20")]
    public void A_segment_that_cannot_be_part_of_a_name_is_refused(string raw) =>
        Assert.NotNull(NameFilter.Decode(raw, out _));

    [Fact]
    public void The_route_shape_is_recognised_with_or_without_an_environment_and_nothing_else()
    {
        Assert.True(NameFilter.TrySplit("/external/sources-filtered-by-name/a%2Fb", out var prefix, out var raw));
        Assert.Equal(("/external/sources-filtered-by-name/", "a%2Fb"), (prefix.ToString(), raw.ToString()));
        Assert.True(NameFilter.TrySplit("/stage/EXTERNAL/sources-filtered-by-name/x", out _, out _));
        Assert.False(NameFilter.TrySplit("/a/b/external/sources-filtered-by-name/x", out _, out _));
        Assert.False(NameFilter.TrySplit("/external/sources-filtered-by-name/x/y", out _, out _));
    }

    [Theory]
    [InlineData("/external/sources/dfgw_abc")]
    [InlineData("/external/sources-filtered-by-name/%64fgw_abc")]
    [InlineData("/DFGW_abc/external/sources")]
    public void A_key_shaped_segment_in_any_encoding_is_found(string path) =>
        Assert.True(DataForgeGateway.Routing.CanonicalPathMiddleware.HoldsKey(path, Callers.KeyLikeTextTests.Directory()));
}

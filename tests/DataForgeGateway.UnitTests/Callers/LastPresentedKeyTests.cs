using DataForgeGateway.Callers;

namespace DataForgeGateway.UnitTests.Callers;

/// <summary>The connection's last key, its hash and what it was found to be: reused for that key only, whatever came before.</summary>
public sealed class LastPresentedKeyTests
{
    [Fact]
    public void Every_key_gets_its_own_hash_whatever_the_connection_presented_before()
    {
        var last = new LastPresentedKey();
        string[] keys =
        [
            "dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",   // same length, last character differs
            "Dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",   // same length, first character differs
            "dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAA",    // a prefix of the one before
            "",
            "dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ];

        foreach (var key in keys)
        {
            last.Present(key);
            Assert.Equal(KeyDigest.Compute(key), last.Digest);
        }
    }

    [Fact]
    public void An_equal_key_in_another_string_is_the_same_key()
    {
        var last = new LastPresentedKey();
        var key = "test-key-billing-5c1d0e9f7a";

        last.Present(key);
        var first = last.Digest;
        last.Present(new string(key.AsSpan()));

        Assert.Equal(first, last.Digest);
        Assert.Equal(KeyDigest.Compute(key), first);
    }

    [Fact]
    public void What_was_found_for_a_key_stays_with_that_key_only()
    {
        var last = new LastPresentedKey();
        var found = new CallerDirectory.Found(null!, KeyCheck.Unknown, null);
        last.Present("dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        last.Found = found;

        last.Present("dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        Assert.Equal(found, last.Found);

        last.Present("dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAB");
        Assert.Equal(default, last.Found);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("a", "a")]
    [InlineData("a", "b")]
    [InlineData("abcd", "abce")]                    // one word, last character
    [InlineData("abcde", "abcdf")]                  // the character after the last whole word
    [InlineData("xbcdefgh", "abcdefgh")]            // first character
    [InlineData("abcdefg\u0100", "abcdefg\u0000")] // the high byte of a character
    [InlineData("dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAB")]
    [InlineData("dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "dfgw_billing_AAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Keys_compare_equal_exactly_when_they_are_equal(string left, string right)
    {
        Assert.Equal(string.Equals(left, right, StringComparison.Ordinal), LastPresentedKey.FixedTimeEquals(left, right));
        Assert.Equal(string.Equals(left, right, StringComparison.Ordinal), LastPresentedKey.FixedTimeEquals(right, left));
    }
}

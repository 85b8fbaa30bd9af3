using DataForgeGateway.Callers;

namespace DataForgeGateway.UnitTests.Callers;

/// <summary>The connection's last key and its hash: reused for that key only, whatever came before.</summary>
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
            Assert.Equal(KeyDigest.Compute(key), last.DigestOf(key));
        }
    }

    [Fact]
    public void An_equal_key_in_another_string_is_the_same_key()
    {
        var last = new LastPresentedKey();
        var key = "test-key-billing-5c1d0e9f7a";

        var first = last.DigestOf(key);

        Assert.Equal(first, last.DigestOf(new string(key.AsSpan())));
        Assert.Equal(KeyDigest.Compute(key), first);
    }
}

using DataForgeGateway.Primitives;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.UnitTests.Primitives;

/// <summary>The per-replica store of idempotency keys and cached answers when there is no Redis.</summary>
public sealed class ExpiringEntriesTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void A_value_is_added_once_while_it_lives_and_can_be_added_again_once_it_expired()
    {
        var entries = new ExpiringEntries<string>(_clock);
        var first = "first";

        Assert.Null(entries.GetOrAdd("k", first, TimeSpan.FromSeconds(10)));
        Assert.Same(first, entries.GetOrAdd("k", "second", TimeSpan.FromSeconds(10)));
        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Null(entries.Get("k"));
        Assert.Null(entries.GetOrAdd("k", "third", TimeSpan.FromSeconds(10)));
        Assert.Equal("third", entries.Get("k"));
    }

    [Fact]
    public void Replace_and_remove_act_only_on_the_instance_they_expect()
    {
        var entries = new ExpiringEntries<string>(_clock);
        var claim = new string('c', 3);
        entries.GetOrAdd("k", claim, TimeSpan.FromSeconds(10));

        entries.Replace("k", new string('c', 3), "not mine", TimeSpan.FromHours(1));
        entries.Remove("k", new string('c', 3));
        Assert.Same(claim, entries.Get("k"));

        entries.Replace("k", claim, "answer", TimeSpan.FromHours(1));
        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal("answer", entries.Get("k"));
        entries.Remove("k", claim);
        Assert.Equal("answer", entries.Get("k"));
    }
}

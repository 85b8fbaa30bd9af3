using System.Text;
using DataForgeGateway.Tokens;

namespace DataForgeGateway.UnitTests.Tokens;

/// <summary>The gateway's token is masked in DataForge's body however the body is split into reads; the length stays.</summary>
public sealed class TokenScrubbingContentTests
{
    private const string Token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    private static readonly AccessToken Issued = new(Token, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1), TimeSpan.FromMinutes(1));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Every_occurrence_is_masked_whatever_the_read_sizes(int chunk)
    {
        var body = $"<pre>Authorization: Bearer {Token}\nagain:{Token}</pre>{new string('x', 20_000)}{Token}";
        var found = 0;
        using var content = new TokenScrubbingContent(new StreamContent(new Trickle(Encoding.ASCII.GetBytes(body), chunk)), Issued, () => found++);

        var scrubbed = await content.ReadAsStringAsync();

        Assert.Equal(body.Length, scrubbed.Length);
        Assert.DoesNotContain(Token, scrubbed);
        Assert.Equal(body.Replace(Token, new string('*', Token.Length), StringComparison.Ordinal), scrubbed);
        Assert.Equal(1, found);
    }

    [Fact]
    public async Task A_body_without_the_token_is_unchanged_and_not_counted()
    {
        var found = 0;
        using var content = new TokenScrubbingContent(new StringContent("[{\"source_id\":19643}]"), Issued, () => found++);

        Assert.Equal("[{\"source_id\":19643}]", await content.ReadAsStringAsync());
        Assert.Equal(0, found);
    }

    /// <summary>A stream that hands out at most <c>chunk</c> bytes a read, as a network does.</summary>
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}

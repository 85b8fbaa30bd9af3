using System.Diagnostics;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.UnitTests.Primitives;

/// <summary>The <c>traceparent</c> the gateway sends DataForge and names in problem bodies.</summary>
public sealed class RequestTraceTests
{
    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")]
    public void A_trace_context_is_written_as_the_W3C_traceparent_it_was_read_from(string traceparent)
    {
        Assert.True(ActivityContext.TryParse(traceparent, null, out var context));

        Assert.Equal(traceparent, RequestTrace.TraceParent(context));
    }

    [Fact]
    public void New_ids_are_written_in_lowercase_hex_with_the_sampled_flag()
    {
        var context = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        Assert.Equal($"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-01", RequestTrace.TraceParent(context));
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", RequestTrace.TraceParent(context));
    }

    [Fact]
    public void No_trace_context_is_written_as_zero_ids()
    {
        Assert.Equal("00-00000000000000000000000000000000-0000000000000000-00", RequestTrace.TraceParent(default));
    }
}

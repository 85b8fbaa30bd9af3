using System.Diagnostics;

namespace DataForgeGateway.Primitives;

/// <summary>
/// A log record's state that tells of something that happened before it was logged, in a trace of its own: an
/// audit record, written by the audit's thread after its request is over. Its time and trace context belong on the
/// log record itself (where a log pipeline correlates records with traces), not among its attributes. A pipeline
/// that can put them there does, and calls <see cref="ContextTaken"/>: from then on the state leaves them out of its
/// attributes. For any other logging provider they stay attributes, so that nothing is lost.
/// </summary>
public interface IDeferredLogContext
{
    /// <summary>When it happened.</summary>
    DateTimeOffset Time { get; }

    /// <summary>The trace it happened in (default when none).</summary>
    ActivityContext Trace { get; }

    /// <summary>The log record carries <see cref="Time"/> and <see cref="Trace"/> now: leave them out of the attributes.</summary>
    void ContextTaken();
}

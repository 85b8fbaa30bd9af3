using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Audit;

/// <summary>
/// An audit record as a log record's state: each field of the JSON line is an attribute of its own, under the same
/// name, numbers as numbers, empty fields left out, and the message is just "audit". The record is in the log record
/// once (it used to be its JSON text twice: as the message and as an attribute), and a log pipeline can query it
/// field by field. Time and trace id go on the log record itself where the pipeline can put them there
/// (<see cref="IDeferredLogContext"/>: OpenTelemetry's); for other providers they stay attributes.
/// </summary>
/// <remarks>
/// Read on the audit writer's thread, never on a request's. Allocates only what a provider reads: the view itself,
/// the duration's box and, when a provider asks for them as attributes, the time and trace id as text.
/// A read-only collection too, so that a log pipeline copying the attributes copies them without an enumerator.
/// </remarks>
internal sealed class AuditLogAttributes : IReadOnlyList<KeyValuePair<string, object?>>, ICollection<KeyValuePair<string, object?>>, IDeferredLogContext
{
    /// <summary>The message of every audit log record: the record is in the attributes.</summary>
    public const string Message = "audit";

    // The JSON line's names, in its order.
    private static readonly string[] Names = AuditJson.Names;

    private readonly AuditRecord _record;
    private int _present;

    public AuditLogAttributes(AuditRecord record)
    {
        _record = record;
        for (var field = 0; field < Names.Length; field++)
        {
            if (HasValue((AuditField)field))
            {
                _present |= 1 << field;
            }
        }
    }

    public int Count => BitOperations.PopCount((uint)_present);

    public bool IsReadOnly => true;

    DateTimeOffset IDeferredLogContext.Time => _record.Time;

    ActivityContext IDeferredLogContext.Trace => _record.Trace;

    public KeyValuePair<string, object?> this[int index]
    {
        get
        {
            var present = _present;
            for (var skip = 0; skip < index; skip++)
            {
                present &= present - 1;   // drop the lowest field present
            }

            var field = present == 0 ? throw new ArgumentOutOfRangeException(nameof(index)) : BitOperations.TrailingZeroCount(present);
            return new(Names[field], Value((AuditField)field));
        }
    }

    void IDeferredLogContext.ContextTaken() => _present &= ~((1 << (int)AuditField.Time) | (1 << (int)AuditField.TraceId));

    public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex)
    {
        var count = Count;
        for (var i = 0; i < count; i++)
        {
            array[arrayIndex + i] = this[i];
        }
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        var count = Count;
        for (var i = 0; i < count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Contains(KeyValuePair<string, object?> item) => this.Any(attribute => attribute.Equals(item));

    public void Add(KeyValuePair<string, object?> item) => throw new NotSupportedException();

    public void Clear() => throw new NotSupportedException();

    public bool Remove(KeyValuePair<string, object?> item) => throw new NotSupportedException();

    private bool HasValue(AuditField field) => field switch
    {
        AuditField.Caller => _record.Caller is not null,
        AuditField.KeyId => _record.KeyId is not null,
        AuditField.Subject => _record.Subject is not null,
        AuditField.Environment => _record.Environment is not null,
        AuditField.Operation => _record.Operation is not null,
        AuditField.SourceId => _record.SourceId is not null,
        AuditField.ProjectId => _record.ProjectId is not null,
        AuditField.NameFilter => _record.NameFilter is not null,
        AuditField.UpstreamStatus => _record.UpstreamStatus is not null,
        AuditField.TokenSource => _record.TokenSource is not null,
        AuditField.RateLimit => _record.RateLimitDecision is not null,
        AuditField.ClientAddress => _record.ClientIp is not null,
        AuditField.TraceId => _record.Trace.TraceId != default,   // not the text: a pipeline that takes the context never needs it
        _ => true,
    };

    private object? Value(AuditField field) => field switch
    {
        AuditField.Time => _record.Time.ToString("O", CultureInfo.InvariantCulture),
        AuditField.Outcome => _record.Outcome,
        AuditField.Caller => _record.Caller,
        AuditField.KeyId => _record.KeyId,
        AuditField.Subject => _record.Subject,
        AuditField.Environment => _record.Environment,
        AuditField.Operation => _record.Operation,
        AuditField.Method => _record.Method,
        AuditField.Path => _record.Path,
        AuditField.SourceId => _record.SourceId,
        AuditField.ProjectId => _record.ProjectId,
        AuditField.NameFilter => _record.NameFilter,
        AuditField.Status => BoxedStatus.Of(_record.Status),
        AuditField.UpstreamStatus => _record.UpstreamStatus is { } upstream ? BoxedStatus.Of(upstream) : null,
        AuditField.DurationMs => _record.DurationMs,
        AuditField.TokenSource => _record.TokenSource,
        AuditField.RateLimit => _record.RateLimit,
        AuditField.ClientAddress => _record.ClientAddress,
        _ => _record.TraceId,
    };
}

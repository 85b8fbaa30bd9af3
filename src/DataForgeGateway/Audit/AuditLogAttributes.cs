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

    private const int Time = 0;
    private const int TraceId = 17;

    // The JSON line's names, in its order.
    private static readonly string[] Names = AuditJson.Names;

    // HTTP status codes boxed once: the attribute values are objects.
    private static readonly object[] Statuses = [.. Enumerable.Range(0, 600).Select(status => (object)status)];

    private readonly AuditRecord _record;
    private int _present;

    public AuditLogAttributes(AuditRecord record)
    {
        _record = record;
        for (var field = 0; field < Names.Length; field++)
        {
            if (HasValue(field))
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
            return new(Names[field], Value(field));
        }
    }

    void IDeferredLogContext.ContextTaken() => _present &= ~((1 << Time) | (1 << TraceId));

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

    private static object Status(int status) => (uint)status < Statuses.Length ? Statuses[status] : status;

    private bool HasValue(int field) => field switch
    {
        2 => _record.Caller is not null,
        3 => _record.KeyId is not null,
        4 => _record.Environment is not null,
        5 => _record.Operation is not null,
        8 => _record.SourceId is not null,
        9 => _record.ProjectId is not null,
        10 => _record.NameFilter is not null,
        12 => _record.UpstreamStatus is not null,
        14 => _record.TokenSource is not null,
        15 => _record.RateLimit is not null,
        16 => _record.ClientIp is not null,
        TraceId => _record.Trace.TraceId != default,   // not the text: a pipeline that takes the context never needs it
        _ => true,
    };

    private object? Value(int field) => field switch
    {
        Time => _record.Time.ToString("O", CultureInfo.InvariantCulture),
        1 => _record.Outcome,
        2 => _record.Caller,
        3 => _record.KeyId,
        4 => _record.Environment,
        5 => _record.Operation,
        6 => _record.Method,
        7 => _record.Path,
        8 => _record.SourceId,
        9 => _record.ProjectId,
        10 => _record.NameFilter,
        11 => Status(_record.Status),
        12 => _record.UpstreamStatus is { } upstream ? Status(upstream) : null,
        13 => _record.DurationMs,
        14 => _record.TokenSource,
        15 => _record.RateLimit,
        16 => _record.ClientAddress,
        _ => _record.TraceId,
    };
}

namespace DataForgeGateway.Answers;

/// <summary>
/// Copies what is written to the response body, up to a limit: passing it on unchanged as it comes (<see cref="Start"/>:
/// an idempotent request's answer is kept without holding the caller up), or holding it until
/// <see cref="ReleaseAsync"/> (<see cref="Hold"/>: a shared read's answer is complete for every waiter when DataForge
/// has sent it, however slowly its own caller reads). Past the limit, what was held is passed on and the rest follows
/// as it comes.
/// </summary>
public sealed class ResponseCaptureStream : Stream
{
    private readonly HttpContext _context;
    private readonly Stream _inner;
    private readonly int _limit;
    private readonly Action? _overflowed;
    private MemoryStream? _copy = new();
    private bool _holding;

    private ResponseCaptureStream(HttpContext context, int limit, bool holding, Action? overflowed)
    {
        _context = context;
        _inner = context.Response.Body;
        _limit = limit;
        _holding = holding;
        _overflowed = overflowed;
    }

    /// <summary>Everything written, or null when it was more than the limit.</summary>
    public byte[]? Captured => _copy?.ToArray();

    /// <summary>Starts capturing <paramref name="context"/>'s response body; <see cref="Dispose(bool)"/> puts the original back.</summary>
    public static ResponseCaptureStream Start(HttpContext context, int limit)
    {
        var capture = new ResponseCaptureStream(context, limit, holding: false, overflowed: null);
        context.Response.Body = capture;
        return capture;
    }

    /// <summary>
    /// Captures <paramref name="context"/>'s response body without passing it on until <see cref="ReleaseAsync"/>;
    /// <paramref name="overflowed"/> is called when it outgrows <paramref name="limit"/> (then it passes on as it comes).
    /// </summary>
    public static ResponseCaptureStream Hold(HttpContext context, int limit, Action overflowed)
    {
        var capture = new ResponseCaptureStream(context, limit, holding: true, overflowed);
        context.Response.Body = capture;
        return capture;
    }

    /// <summary>Passes on what is held; from then on everything passes as it comes.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        if (!_holding)
        {
            return;
        }

        _holding = false;
        if (_copy is { Length: > 0 } held)
        {
            await _inner.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length), cancellationToken);
        }
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (PassOn(buffer.AsSpan(offset, count), out var first))
        {
            _inner.Write(first.Span);
            _inner.Write(buffer, offset, count);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (PassOn(buffer.Span, out var first))
        {
            if (!first.IsEmpty)
            {
                await _inner.WriteAsync(first, cancellationToken);
            }

            await _inner.WriteAsync(buffer, cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        if (!_holding)
        {
            _inner.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _holding ? Task.CompletedTask : _inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && ReferenceEquals(_context.Response.Body, this))
        {
            _context.Response.Body = _inner;
        }

        base.Dispose(disposing);
    }

    /// <summary>Copies <paramref name="bytes"/>; whether they go on now, and what was held that must go before them.</summary>
    private bool PassOn(ReadOnlySpan<byte> bytes, out ReadOnlyMemory<byte> first)
    {
        first = default;
        var held = _holding ? _copy : null;
        Copy(bytes);
        if (!_holding)
        {
            return true;
        }

        if (_copy is not null)
        {
            return false;
        }

        // Outgrown while held: what was held goes first, then this, and the rest as it comes.
        _holding = false;
        _overflowed?.Invoke();
        if (held is { Length: > 0 })
        {
            first = held.GetBuffer().AsMemory(0, (int)held.Length);
        }

        return true;
    }

    private void Copy(ReadOnlySpan<byte> bytes)
    {
        if (_copy is null)
        {
            return;
        }

        if (_copy.Length + bytes.Length > _limit)
        {
            _copy = null;
            return;
        }

        _copy.Write(bytes);
    }
}

namespace DataForgeGateway.Primitives;

/// <summary>
/// Copies what is written to the response body, up to a limit, while passing it on unchanged: so an answer can be
/// kept (an idempotent request's, a shared read's) without holding the caller up.
/// </summary>
public sealed class ResponseCaptureStream : Stream
{
    private readonly HttpContext _context;
    private readonly Stream _inner;
    private readonly int _limit;
    private MemoryStream? _copy = new();

    private ResponseCaptureStream(HttpContext context, int limit)
    {
        _context = context;
        _inner = context.Response.Body;
        _limit = limit;
    }

    /// <summary>Everything written, or null when it was more than the limit.</summary>
    public byte[]? Captured => _copy?.ToArray();

    /// <summary>Starts capturing <paramref name="context"/>'s response body; <see cref="Dispose(bool)"/> puts the original back.</summary>
    public static ResponseCaptureStream Start(HttpContext context, int limit)
    {
        var capture = new ResponseCaptureStream(context, limit);
        context.Response.Body = capture;
        return capture;
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
        Copy(buffer.AsSpan(offset, count));
        _inner.Write(buffer, offset, count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Copy(buffer.Span);
        await _inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

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

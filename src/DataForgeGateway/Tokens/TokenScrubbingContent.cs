using System.Net;

namespace DataForgeGateway.Tokens;

/// <summary>
/// DataForge's response body as the caller gets it: every occurrence of the gateway's token masked, byte for byte
/// (so the length stays what DataForge said), however the body is split into reads. A careless upstream error page
/// that echoes the request's <c>Authorization</c> header then leaks nothing.
/// </summary>
internal sealed class TokenScrubbingContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly byte[] _token;
    private readonly Action _found;

    public TokenScrubbingContent(HttpContent inner, AccessToken token, Action found)
    {
        _inner = inner;
        _token = token.Bytes;
        _found = found;
        foreach (var header in inner.Headers.NonValidated)
        {
            // As they came, without parsing them again; a single value (the usual) without a collection for it.
            if (header.Value.Count == 1)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value.ToString());
            }
            else
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await using var source = await CreateContentReadStreamAsync();
        await source.CopyToAsync(stream);
    }

    protected override async Task<Stream> CreateContentReadStreamAsync() =>
        new ScrubbingStream(await _inner.ReadAsStreamAsync(), _token, _found);

    protected override bool TryComputeLength(out long length)
    {
        length = _inner.Headers.ContentLength ?? -1;
        return length >= 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Holds back the last token-length-minus-one bytes of each read until more arrive, so a token split across reads is found too.</summary>
    private sealed class ScrubbingStream(Stream inner, byte[] token, Action found) : Stream
    {
        // Pooled: one per forwarded response, returned when YARP disposes the stream.
        private byte[] _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((16 * 1024) + token.Length);
        private int _start;
        private int _end;
        private bool _ended;
        private bool _reported;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                var safe = _ended ? _end - _start : _end - _start - (token.Length - 1);
                if (safe > 0 || (_ended && _end == _start))
                {
                    var count = Math.Min(Math.Max(safe, 0), destination.Length);
                    _buffer.AsSpan(_start, count).CopyTo(destination.Span);
                    _start += count;
                    return count;
                }

                if (_start > 0)
                {
                    _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }

                var read = await inner.ReadAsync(_buffer.AsMemory(_end, _buffer.Length - _end), cancellationToken);
                if (read == 0)
                {
                    _ended = true;
                }

                _end += read;
                Scrub();
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                if (_buffer.Length > 0)
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = [];
                }
            }

            base.Dispose(disposing);
        }

        private void Scrub()
        {
            var window = _buffer.AsSpan(_start, _end - _start);
            for (var at = window.IndexOf(token); at >= 0; at = window.IndexOf(token))
            {
                window.Slice(at, token.Length).Fill((byte)'*');
                if (!_reported)
                {
                    _reported = true;
                    found();
                }
            }
        }
    }
}

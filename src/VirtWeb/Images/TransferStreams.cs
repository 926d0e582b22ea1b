namespace VirtWeb.Images;

/// <summary>
/// The plumbing every forward-only, read-only stream of a transfer shares; a subclass implements the async read alone.
/// </summary>
internal abstract class ForwardReadStream : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Passes exactly <c>length</c> bytes through: more is refused (the upload would outgrow its volume), fewer means the
/// browser stopped sending, and both fail the upload so the partial volume is deleted.
/// </summary>
internal sealed class ExactLengthStream(Stream inner, long length) : ForwardReadStream
{
    private long _read;

    public override long Length => length;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // One byte beyond the end is asked for on purpose, to notice a body longer than announced.
        var wanted = (int)Math.Min(buffer.Length, length - _read + 1);
        var read = 0;
        try
        {
            // Kestrel hands the body over in the pieces the socket delivered (often a few KiB), and every read becomes one
            // libvirt stream message: filling the caller's buffer first sends 256 KiB messages, as virsh vol-upload does.
            int got;
            while (read < wanted && (got = await inner.ReadAsync(buffer[read..wanted], cancellationToken)) > 0)
            {
                read += got;
            }
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            // Kestrel reports a body cut short (the browser cancelled, the connection dropped) as an IOException before
            // RequestAborted fires; it is the same as stopping early, not a server fault.
            throw new ImageException($"The upload stopped after {ImageNames.Bytes((ulong)_read)} of {ImageNames.Bytes((ulong)length)}; nothing was kept.", ImageFailure.Invalid);
        }

        _read += read;
        if (_read > length)
        {
            throw new ImageException($"The upload sent more than the announced {ImageNames.Bytes((ulong)length)}; it does not fit the volume.", ImageFailure.TooLarge);
        }

        if (read == 0 && _read < length)
        {
            throw new ImageException($"The upload stopped after {ImageNames.Bytes((ulong)_read)} of {ImageNames.Bytes((ulong)length)}; nothing was kept.", ImageFailure.Invalid);
        }

        return read;
    }

}

/// <summary>
/// Reads the next piece of the upload while libvirt stores the previous one. The binding's copy loop reads, then blocks
/// in virStreamSend; without this the HTTP side and the libvirt side take turns instead of working at once. Two pieces of
/// 256 KiB (libvirt's stream message size) are all it holds.
/// </summary>
internal sealed class ReadAheadStream(Stream inner) : ForwardReadStream
{
    private const int PieceSize = 256 * 1024;

    private Task<int>? _next;
    private byte[] _nextBuffer = new byte[PieceSize];
    private byte[] _current = new byte[PieceSize];
    private int _offset;
    private int _count;
    private bool _ended;


    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_offset == _count)
        {
            if (_ended)
            {
                return 0;
            }

            _next ??= inner.ReadAsync(_nextBuffer, cancellationToken).AsTask();
            var count = await _next;
            // The piece just read becomes current; the old current is free for the next read-ahead.
            (_current, _nextBuffer) = (_nextBuffer, _current);
            (_offset, _count) = (0, count);
            _ended = count == 0;
            _next = _ended ? null : inner.ReadAsync(_nextBuffer, cancellationToken).AsTask();
            if (_ended)
            {
                return 0;
            }
        }

        var copied = Math.Min(buffer.Length, _count - _offset);
        _current.AsMemory(_offset, copied).CopyTo(buffer);
        _offset += copied;
        return copied;
    }


    public override async ValueTask DisposeAsync()
    {
        // A failed upload stops reading with a read-ahead in flight: wait for it so its failure is observed, not lost.
        if (_next is { } pending)
        {
            try
            {
                await pending;
            }
            catch (Exception)
            {
                // The upload already failed for its own reason, which is the one reported.
            }
        }

        await base.DisposeAsync();
    }
}

/// <summary>
/// Lets the HTTP response take one piece of a download while libvirt is asked for the next: the binding's copy loop
/// blocks in virStreamRecv, then awaits the write; here the write only starts, and the next write (or the flush) waits
/// for it. Holds one piece.
/// </summary>
internal sealed class WriteBehindStream(Stream inner) : Stream
{
    private Task _pending = Task.CompletedTask;
    private byte[] _buffer = [];

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _pending;
        if (_buffer.Length < buffer.Length)
        {
            _buffer = new byte[buffer.Length];
        }

        buffer.CopyTo(_buffer);
        _pending = inner.WriteAsync(_buffer.AsMemory(0, buffer.Length), cancellationToken).AsTask();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _pending;
        await inner.FlushAsync(cancellationToken);
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await _pending;
        }
        catch (Exception)
        {
            // A failed download reports the failure that stopped the copy; this write failed with it.
        }

        await base.DisposeAsync();
    }
}

namespace VirtWeb.Images;

/// <summary>
/// Passes exactly <c>length</c> bytes through: more is refused (the upload would outgrow its volume), fewer means the
/// browser stopped sending, and both fail the upload so the partial volume is deleted.
/// </summary>
internal sealed class ExactLengthStream(Stream inner, long length) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

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
        int read;
        try
        {
            read = await inner.ReadAsync(buffer[..wanted], cancellationToken);
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

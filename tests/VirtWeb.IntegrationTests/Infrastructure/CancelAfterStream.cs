namespace VirtWeb.IntegrationTests.Infrastructure;

/// <summary>
/// Reads from <paramref name="inner"/> and cancels <paramref name="cancel"/> once <paramref name="after"/> bytes were
/// read, to cancel a transfer midway deterministically rather than after a guessed delay.
/// </summary>
public sealed class CancelAfterStream(Stream inner, CancellationTokenSource cancel, long after) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        _read += read;
        if (_read >= after)
        {
            cancel.Cancel();
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

using VirtWeb.Libvirt.Interop;

namespace VirtWeb.Libvirt;

/// <summary>
/// A blocking <c>virStreamPtr</c> as a .NET <see cref="Stream"/>: read-only for downloads, write-only for
/// uploads. Reads return 0 at the end and finish the libvirt stream by themselves; an upload must be
/// ended with <see cref="Complete"/>, otherwise disposing aborts it so libvirt reports the transfer failed.
/// </summary>
public sealed unsafe class LibvirtStream : Stream
{
    private readonly StreamHandle _handle;
    private bool _canRead;
    private bool _canWrite;
    private bool _ended;

    internal LibvirtStream(StreamHandle handle) => _handle = handle;

    public override bool CanRead => _canRead && !_ended;

    public override bool CanWrite => _canWrite && !_ended;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    internal StreamHandle Handle => _handle;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (!_canRead)
        {
            throw new NotSupportedException("This libvirt stream is for uploading.");
        }
        if (_ended || buffer.IsEmpty)
        {
            return 0;
        }
        int received;
        fixed (byte* data = buffer)
        {
            received = Native.virStreamRecv(_handle, data, (nuint)buffer.Length);
        }
        NativeHelpers.Check(received, "virStreamRecv");
        if (received == 0)
        {
            // End of data: the sender is waiting for our finish to report success.
            _ended = true;
            NativeHelpers.Check(Native.virStreamFinish(_handle));
        }
        return received;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!CanWrite)
        {
            throw new NotSupportedException(_canWrite ? "The upload was already completed or aborted." : "This libvirt stream is for downloading.");
        }
        fixed (byte* data = buffer)
        {
            var sent = 0;
            // virStreamSend may accept less than offered.
            while (sent < buffer.Length)
            {
                sent += NativeHelpers.Check(Native.virStreamSend(_handle, data + sent, (nuint)(buffer.Length - sent)), "virStreamSend");
            }
        }
    }

    /// <summary>Ends an upload successfully (<c>virStreamFinish</c>); throws if libvirt failed to store the data.</summary>
    public void Complete()
    {
        if (_ended)
        {
            return;
        }
        _ended = true;
        NativeHelpers.Check(Native.virStreamFinish(_handle));
    }

    /// <summary>Cancels the transfer (<c>virStreamAbort</c>); errors are ignored, the stream is failing anyway.</summary>
    public void Abort()
    {
        if (_ended)
        {
            return;
        }
        _ended = true;
        if (Native.virStreamAbort(_handle) < 0)
        {
            Native.virResetLastError();
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    internal void SetMode(bool canRead, bool canWrite)
    {
        _canRead = canRead;
        _canWrite = canWrite;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_handle.IsClosed)
        {
            Abort();
            _handle.Dispose();
        }
        base.Dispose(disposing);
    }
}

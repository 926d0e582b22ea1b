using System.Runtime.InteropServices;
using VirtWeb.Libvirt.Interop;

namespace VirtWeb.Libvirt;

/// <summary>
/// A guest's character console (<c>virDomainOpenConsole</c>) as a non-blocking libvirt stream driven by stream events.
/// </summary>
/// <remarks>
/// A console is read and written at the same time for as long as someone types, and may stay silent for hours. A
/// blocking stream would pin a thread per console inside <c>virStreamRecv</c>, and a write from another thread while
/// that read waits is not something libvirt documents as safe. Instead the stream is opened with
/// <c>VIR_STREAM_NONBLOCK</c> (as virsh console does): a read that would block returns -2, and we ask the default
/// event loop (already running for domain events) to tell us when data is there. Stream events are level-triggered,
/// so the callback switches off the event that fired and the reader switches it back on before waiting: data that
/// arrives in between fires the event again at once, and no wake-up is lost. The callback itself only releases a
/// semaphore; it never blocks the event thread.
/// </remarks>
public sealed class LibvirtConsoleStream : IDisposable
{
    private const int EventReadable = 1;
    private const int EventWritable = 2;
    private const int EventError = 4;
    private const int EventHangup = 8;

    private readonly StreamHandle _handle;
    private readonly SemaphoreSlim _readable = new(0, 1);
    private readonly SemaphoreSlim _writable = new(0, 1);
    private readonly Lock _lock = new();
    private int _events;
    private bool _ended;
    private bool _disposed;

    private LibvirtConsoleStream(StreamHandle handle) => _handle = handle;

    internal static LibvirtConsoleStream Open(LibvirtDomain domain, string? device, bool force)
    {
        LibvirtEventLoop.Instance.EnsureStarted();
        const uint StreamNonBlock = 1;
        const uint ConsoleForce = 1;
        const uint ConsoleSafe = 2;
        var handle = NativeHelpers.Check(Native.virStreamNew(domain.Connection.Handle, StreamNonBlock));
        var stream = new LibvirtConsoleStream(handle);
        try
        {
            // SAFE refuses a console whose driver cannot tell when another client takes it over; FORCE takes it over.
            // libvirt 9.0's LXC driver accepts no flags ("unsupported flags"): it opens its pty consoles plainly, as virsh does.
            var flags = domain.Connection.HypervisorType.Equals("LXC", StringComparison.OrdinalIgnoreCase) ? 0 : ConsoleSafe | (force ? ConsoleForce : 0);
            NativeHelpers.Check(Native.virDomainOpenConsole(domain.Handle, device, handle, flags), "virDomainOpenConsole");
            stream.Register();
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads what the guest wrote; 0 once the console closed (the guest stopped or someone else took it over).</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var received = Receive(buffer.Span);
            if (received != -2)
            {
                return received;
            }
            Want(EventReadable);
            await _readable.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends keystrokes to the guest.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var sent = Send(buffer.Span);
            if (sent == -2)
            {
                Want(EventWritable);
                await _writable.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            buffer = buffer[sent..];
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        if (!_handle.IsClosed)
        {
            // Removing the callback makes libvirt call FreeCallback, which frees our GCHandle.
            if (Native.virStreamEventRemoveCallback(_handle) < 0)
            {
                Native.virResetLastError();
            }
            if (!_ended && Native.virStreamAbort(_handle) < 0)
            {
                Native.virResetLastError();
            }
            _handle.Dispose();
        }
        // Wake anyone still waiting, so they see the stream is gone instead of hanging.
        Signal(_readable);
        Signal(_writable);
    }

    private unsafe int Receive(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ended || buffer.IsEmpty)
        {
            return 0;
        }
        int received;
        fixed (byte* data = buffer)
        {
            received = Native.virStreamRecv(_handle, data, (nuint)buffer.Length);
        }
        if (received == -2)
        {
            return -2;
        }
        NativeHelpers.Check(received, "virStreamRecv");
        if (received == 0)
        {
            _ended = true;
        }
        return received;
    }

    private unsafe int Send(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ended)
        {
            throw new IOException("The console is closed.");
        }
        int sent;
        fixed (byte* data = buffer)
        {
            sent = Native.virStreamSend(_handle, data, (nuint)buffer.Length);
        }
        return sent == -2 ? -2 : NativeHelpers.Check(sent, "virStreamSend");
    }

    private unsafe void Register()
    {
        var self = GCHandle.Alloc(this);
        _events = EventError | EventHangup;
        if (Native.virStreamEventAddCallback(_handle, _events, &OnStreamEvent, GCHandle.ToIntPtr(self), &FreeCallback) < 0)
        {
            // libvirt did not take the opaque pointer, so it will never call FreeCallback.
            var exception = NativeHelpers.LastError("virStreamEventAddCallback");
            self.Free();
            throw exception;
        }
    }

    private void Want(int events)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _events |= events;
            NativeHelpers.Check(Native.virStreamEventUpdateCallback(_handle, _events), "virStreamEventUpdateCallback");
        }
    }

    private void Fired(int events)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            // Level-triggered: leave the fired readiness on and the loop would call us again and again until read.
            _events &= ~(events & (EventReadable | EventWritable));
            if (Native.virStreamEventUpdateCallback(_handle, _events) < 0)
            {
                Native.virResetLastError();
            }
        }
        if ((events & (EventReadable | EventError | EventHangup)) != 0)
        {
            Signal(_readable);
        }
        if ((events & (EventWritable | EventError | EventHangup)) != 0)
        {
            Signal(_writable);
        }
    }

    private static void Signal(SemaphoreSlim semaphore)
    {
        try
        {
            if (semaphore.CurrentCount == 0)
            {
                semaphore.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Someone else signalled first; one wake-up is enough.
        }
    }

    [UnmanagedCallersOnly]
    private static void OnStreamEvent(nint stream, int events, nint opaque)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is LibvirtConsoleStream console)
            {
                console.Fired(events);
            }
        }
        catch (Exception)
        {
            // Never unwind into libvirt's event loop.
        }
    }

    [UnmanagedCallersOnly]
    private static void FreeCallback(nint opaque) => GCHandle.FromIntPtr(opaque).Free();
}

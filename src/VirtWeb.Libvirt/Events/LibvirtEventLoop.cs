using VirtWeb.Libvirt.Interop;

namespace VirtWeb.Libvirt;

/// <summary>
/// libvirt's default event loop, registered once and run on one dedicated background thread for the
/// life of the process. Keepalives, the close callback and every event callback are dispatched from
/// that thread, so handlers must never block it. Opening a <see cref="LibvirtConnection"/> starts the
/// loop first, because libvirt only wires a connection to an event implementation registered before it
/// was opened.
/// </summary>
public sealed class LibvirtEventLoop
{
    private readonly Lock _lock = new();
    private Thread? _thread;
    private long _sequence;

    private LibvirtEventLoop()
    {
    }

    public static LibvirtEventLoop Instance { get; } = new();

    public bool IsRunning => Volatile.Read(ref _thread) is not null;

    /// <summary>The loop thread's managed id, for asserting where callbacks run.</summary>
    public int? ThreadId => Volatile.Read(ref _thread)?.ManagedThreadId;

    /// <summary>
    /// Raised (on the event thread) when an event handler threw. The exception never reaches libvirt;
    /// subscribers see it here or not at all.
    /// </summary>
    public event Action<Exception>? HandlerFailed;

    /// <summary>Registers and starts the loop unless it already runs; safe to call from any thread.</summary>
    public void EnsureStarted()
    {
        if (IsRunning)
        {
            return;
        }
        lock (_lock)
        {
            if (_thread is not null)
            {
                return;
            }
            NativeHelpers.EnsureInitialized();
            NativeHelpers.Check(Native.virEventRegisterDefaultImpl());
            var thread = new Thread(Run) { IsBackground = true, Name = "libvirt-event-loop" };
            thread.Start();
            Volatile.Write(ref _thread, thread);
        }
    }

    /// <summary>
    /// The next number of the process-wide sequence events are stamped with. A consumer takes one before listing
    /// (a snapshot) so that any event stamped later is known to be newer than that listing.
    /// </summary>
    public long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>
    /// Moves the sequence up to at least <paramref name="floor"/> (never down), so every number drawn afterwards is
    /// above it. Several VirtWeb instances use this to keep one host's versions rising across a change of owner.
    /// </summary>
    public void RaiseSequenceFloor(long floor)
    {
        var current = Interlocked.Read(ref _sequence);
        while (current < floor)
        {
            var seen = Interlocked.CompareExchange(ref _sequence, floor, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>The last number drawn (or the floor raised to), without drawing one.</summary>
    public long CurrentSequence => Interlocked.Read(ref _sequence);

    internal void ReportHandlerFailure(Exception exception)
    {
        try
        {
            HandlerFailed?.Invoke(exception);
        }
        catch (Exception)
        {
            // A failing failure handler must not take the event thread down either.
        }
    }

    private static void Run()
    {
        while (true)
        {
            if (Native.virEventRunDefaultImpl() < 0)
            {
                // Only fails on poll() errors; back off instead of spinning a core.
                Native.virResetLastError();
                Thread.Sleep(100);
            }
        }
    }
}

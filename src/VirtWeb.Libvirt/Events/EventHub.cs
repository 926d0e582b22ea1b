using System.Runtime.InteropServices;
using VirtWeb.Libvirt.Interop;

namespace VirtWeb.Libvirt;

/// <summary>
/// Native event callbacks. libvirt gets a static function pointer and, as opaque data, a GCHandle to
/// the managed handler; the handle is freed in the freecb libvirt calls once the callback is gone.
/// The callbacks run on the event-loop thread: they build an event record, hand it to the handler and
/// swallow anything the handler throws, because an exception must never unwind into libvirt.
/// </summary>
internal sealed unsafe partial class EventHub(ConnectHandle connection)
{
    // libvirt refuses a second registration of the same C callback for the same event and filter on
    // one connection ("event callback already tracked"), so each (kind, filter) gets one native
    // registration whose dispatcher fans out to any number of managed subscribers.
    private readonly Dictionary<(EventFamily Family, int Kind, Guid? Filter), Dispatcher> _dispatchers = [];
    private readonly Lock _lock = new();

    internal IDisposable SubscribeDomain(LibvirtDomain? domain, DomainEventKind kind, Action<LibvirtEvent> handler)
    {
        nint callback = kind switch
        {
            DomainEventKind.Lifecycle => (nint)(delegate* unmanaged<nint, nint, int, int, nint, int>)&OnDomainLifecycle,
            DomainEventKind.Reboot => (nint)(delegate* unmanaged<nint, nint, nint, void>)&OnDomainReboot,
            DomainEventKind.DeviceAdded => (nint)(delegate* unmanaged<nint, nint, byte*, nint, void>)&OnDomainDeviceAdded,
            DomainEventKind.DeviceRemoved => (nint)(delegate* unmanaged<nint, nint, byte*, nint, void>)&OnDomainDeviceRemoved,
            DomainEventKind.AgentLifecycle => (nint)(delegate* unmanaged<nint, nint, int, int, nint, void>)&OnDomainAgentLifecycle,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unsupported domain event"),
        };
        return Subscribe(EventFamily.Domain, (int)kind, domain?.Handle, domain?.Uuid, handler,
            (conn, target, opaque) => Native.virConnectDomainEventRegisterAny(conn, target, (int)kind, callback, opaque, &FreeDispatcher),
            connection.TrackDomainCallback, connection.DeregisterDomainCallback);
    }

    internal IDisposable SubscribeStoragePool(LibvirtStoragePool? pool, StoragePoolEventKind kind, Action<LibvirtEvent> handler)
    {
        nint callback = kind switch
        {
            StoragePoolEventKind.Lifecycle => (nint)(delegate* unmanaged<nint, nint, int, int, nint, void>)&OnPoolLifecycle,
            StoragePoolEventKind.Refresh => (nint)(delegate* unmanaged<nint, nint, nint, void>)&OnPoolRefresh,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unsupported storage pool event"),
        };
        return Subscribe(EventFamily.StoragePool, (int)kind, pool?.Handle, pool?.Uuid, handler,
            (conn, target, opaque) => Native.virConnectStoragePoolEventRegisterAny(conn, target, (int)kind, callback, opaque, &FreeDispatcher),
            connection.TrackPoolCallback, connection.DeregisterPoolCallback);
    }

    private IDisposable Subscribe(
        EventFamily family, int kind, LibvirtHandle? target, Guid? targetUuid, Action<LibvirtEvent> handler,
        Func<nint, nint, nint, int> register, Action<int> track, Action<int> deregister)
    {
        // libvirt keys a filter by the object's UUID, not by the handle.
        var key = (family, kind, targetUuid);
        var subscriber = new Subscriber(handler);
        lock (_lock)
        {
            if (!_dispatchers.TryGetValue(key, out var dispatcher))
            {
                dispatcher = new Dispatcher();
                dispatcher.CallbackId = Register(target, dispatcher, register);
                track(dispatcher.CallbackId);
                _dispatchers.Add(key, dispatcher);
            }
            dispatcher.Add(subscriber);
            return new Registration(() =>
            {
                lock (_lock)
                {
                    if (dispatcher.Remove(subscriber) && _dispatchers.Remove(key))
                    {
                        deregister(dispatcher.CallbackId);
                    }
                }
            });
        }
    }

    private int Register(LibvirtHandle? target, Dispatcher dispatcher, Func<nint, nint, nint, int> register)
    {
        var opaque = GCHandle.Alloc(dispatcher);
        bool connectionAdded = false, targetAdded = false;
        try
        {
            connection.DangerousAddRef(ref connectionAdded);
            target?.DangerousAddRef(ref targetAdded);
            int id;
            using (connection.Gate!.EnterScope())
            {
                id = register(connection.DangerousGetHandle(), target?.DangerousGetHandle() ?? 0, GCHandle.ToIntPtr(opaque));
            }
            if (id < 0)
            {
                // On failure libvirt does not call freecb: the handle is still ours.
                var exception = NativeHelpers.LastError("event registration");
                opaque.Free();
                throw exception;
            }
            return id;
        }
        finally
        {
            if (targetAdded)
            {
                target!.DangerousRelease();
            }
            if (connectionAdded)
            {
                connection.DangerousRelease();
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void FreeDispatcher(nint opaque) => GCHandle.FromIntPtr(opaque).Free();

    [UnmanagedCallersOnly]
    private static int OnDomainLifecycle(nint conn, nint dom, int type, int detail, nint opaque)
    {
        Deliver(opaque, dom, static (d, a, b, _) => new DomainLifecycleEvent(DomainName(d), DomainUuid(d), (DomainLifecycleEventType)a, b), type, detail, null);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static void OnDomainReboot(nint conn, nint dom, nint opaque) =>
        Deliver(opaque, dom, static (d, _, _, _) => new DomainRebootEvent(DomainName(d), DomainUuid(d)), 0, 0, null);

    [UnmanagedCallersOnly]
    private static void OnDomainDeviceAdded(nint conn, nint dom, byte* alias, nint opaque) =>
        Deliver(opaque, dom, static (d, _, _, s) => new DomainDeviceAddedEvent(DomainName(d), DomainUuid(d), s ?? string.Empty), 0, 0, NativeHelpers.Utf8(alias));

    [UnmanagedCallersOnly]
    private static void OnDomainDeviceRemoved(nint conn, nint dom, byte* alias, nint opaque) =>
        Deliver(opaque, dom, static (d, _, _, s) => new DomainDeviceRemovedEvent(DomainName(d), DomainUuid(d), s ?? string.Empty), 0, 0, NativeHelpers.Utf8(alias));

    [UnmanagedCallersOnly]
    private static void OnDomainAgentLifecycle(nint conn, nint dom, int state, int reason, nint opaque) =>
        Deliver(opaque, dom, static (d, a, b, _) => new DomainAgentLifecycleEvent(DomainName(d), DomainUuid(d), (AgentLifecycleState)a, (AgentLifecycleReason)b), state, reason, null);

    [UnmanagedCallersOnly]
    private static void OnPoolLifecycle(nint conn, nint pool, int type, int detail, nint opaque) =>
        Deliver(opaque, pool, static (p, a, b, _) => new StoragePoolLifecycleEvent(PoolName(p), PoolUuid(p), (StoragePoolLifecycleEventType)a, b), type, detail, null);

    [UnmanagedCallersOnly]
    private static void OnPoolRefresh(nint conn, nint pool, nint opaque) =>
        Deliver(opaque, pool, static (p, _, _, _) => new StoragePoolRefreshEvent(PoolName(p), PoolUuid(p)), 0, 0, null);

    // The object pointer is only valid during the callback, so the record copies name and UUID out
    // (both are cached in the object: no round trip to the daemon).
    private static void Deliver(nint opaque, nint obj, Func<nint, int, int, string?, LibvirtEvent> create, int a, int b, string? s)
    {
        try
        {
            var dispatcher = (Dispatcher)GCHandle.FromIntPtr(opaque).Target!;
            var libvirtEvent = create(obj, a, b, s) with { Sequence = LibvirtEventLoop.Instance.NextSequence() };
            dispatcher.Dispatch(libvirtEvent);
        }
        catch (Exception exception)
        {
            LibvirtEventLoop.Instance.ReportHandlerFailure(exception);
        }
    }

    private static string DomainName(nint dom) => NativeHelpers.BorrowString(Native.virDomainGetName(dom));

    private static Guid DomainUuid(nint dom) => NativeHelpers.ReadUuid(&Native.virDomainGetUUIDString, dom, "virDomainGetUUIDString");

    private static string PoolName(nint pool) => NativeHelpers.BorrowString(Native.virStoragePoolGetName(pool));

    private static Guid PoolUuid(nint pool) => NativeHelpers.ReadUuid(&Native.virStoragePoolGetUUIDString, pool, "virStoragePoolGetUUIDString");

    /// <summary>Which libvirt object kind a registration is for: ids of different kinds' events overlap.</summary>
    private enum EventFamily
    {
        Domain,
        StoragePool,
        Network,
    }

    private sealed class Subscriber(Action<LibvirtEvent> handler)
    {
        public Action<LibvirtEvent> Handler { get; } = handler;
    }

    /// <summary>Subscribers of one native registration; copy-on-write so the event thread never locks.</summary>
    private sealed class Dispatcher
    {
        private Subscriber[] _subscribers = [];

        public int CallbackId { get; set; }

        public void Add(Subscriber subscriber) => Volatile.Write(ref _subscribers, [.. _subscribers, subscriber]);

        /// <summary>Removes the subscriber; true when none is left.</summary>
        public bool Remove(Subscriber subscriber)
        {
            Volatile.Write(ref _subscribers, _subscribers.Where(s => s != subscriber).ToArray());
            return _subscribers.Length == 0;
        }

        public void Dispatch(LibvirtEvent libvirtEvent)
        {
            foreach (var subscriber in Volatile.Read(ref _subscribers))
            {
                try
                {
                    subscriber.Handler(libvirtEvent);
                }
                catch (Exception exception)
                {
                    LibvirtEventLoop.Instance.ReportHandlerFailure(exception);
                }
            }
        }
    }

    private sealed class Registration(Action deregister) : IDisposable
    {
        private Action? _deregister = deregister;

        public void Dispose() => Interlocked.Exchange(ref _deregister, null)?.Invoke();
    }
}

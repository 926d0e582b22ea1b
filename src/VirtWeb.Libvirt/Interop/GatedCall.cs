using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace VirtWeb.Libvirt.Interop;

/// <summary>
/// One P/Invoke with a libvirt object handle, as the marshallers below pass it: like the built-in SafeHandle marshaller
/// it holds a reference on the handle for the call, and it also holds the handle's <see cref="LibvirtHandle.Gate"/>,
/// so that one connection never has two threads inside libvirt at once.
/// </summary>
/// <remarks>
/// Why: libvirt 9.0's remote client (virNetClientIOEventLoop) leaves the socket watch it attached to the client's
/// GLib context in place when a call ends in an error such as the keepalive timeout; the watch's data points into
/// that call's stack frame. If another thread was queued on the same connection it takes over the I/O loop, and when
/// the socket next becomes ready (the frozen daemon thaws) GLib dispatches the stale watch: a use of a dead stack
/// frame, seen as GLib-CRITICAL g_main_loop_quit assertions or a SIGSEGV of the whole process. With one call at a
/// time per connection no thread is queued inside libvirt when a call fails, so the client closes its socket and
/// later calls fail at once with "client socket is closed" without running that loop. (By reading libvirt, a call that
/// ends on EOF when the daemon restarts leaves the same watch; not tested.) Cost: calls on one connection wait for each
/// other; stream transfers are not gated, because a blocking receive would hold the gate for as long as no data comes.
/// </remarks>
internal struct GatedCall
{
    private LibvirtHandle? _handle;
    private bool _added;
    private Lock? _gate;

    public nint Enter(LibvirtHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        _handle = handle;
        handle.DangerousAddRef(ref _added);
        _gate = handle.Gate;
        _gate?.Enter();
        return handle.DangerousGetHandle();
    }

    public readonly void Exit()
    {
        _gate?.Exit();
        if (_added)
        {
            _handle!.DangerousRelease();
        }
    }
}

// The source generator wants a non-generic marshaller per handle type (it refuses a generic one for these types).

[CustomMarshaller(typeof(ConnectHandle), MarshalMode.ManagedToUnmanagedIn, typeof(In))]
[CustomMarshaller(typeof(ConnectHandle), MarshalMode.ManagedToUnmanagedOut, typeof(Out))]
internal static class ConnectHandleMarshaller
{
    public struct In
    {
        private GatedCall _call;
        private ConnectHandle? _handle;

        public void FromManaged(ConnectHandle handle) => _handle = handle;

        public nint ToUnmanaged() => _call.Enter(_handle!);

        public readonly void Free() => _call.Exit();
    }

    public struct Out
    {
        private readonly ConnectHandle _handle = new();
        private bool _set;

        public Out()
        {
        }

        public void FromUnmanaged(nint value)
        {
            _set = true;
            Marshal.InitHandle(_handle, value);
        }

        public readonly ConnectHandle ToManaged() => _handle;

        public readonly void Free()
        {
            if (!_set)
            {
                _handle.Dispose();
            }
        }
    }
}

[CustomMarshaller(typeof(DomainHandle), MarshalMode.ManagedToUnmanagedIn, typeof(In))]
[CustomMarshaller(typeof(DomainHandle), MarshalMode.ManagedToUnmanagedOut, typeof(Out))]
internal static class DomainHandleMarshaller
{
    public struct In
    {
        private GatedCall _call;
        private DomainHandle? _handle;

        public void FromManaged(DomainHandle handle) => _handle = handle;

        public nint ToUnmanaged() => _call.Enter(_handle!);

        public readonly void Free() => _call.Exit();
    }

    public struct Out
    {
        private readonly DomainHandle _handle = new();
        private bool _set;

        public Out()
        {
        }

        public void FromUnmanaged(nint value)
        {
            _set = true;
            Marshal.InitHandle(_handle, value);
        }

        public readonly DomainHandle ToManaged() => _handle;

        public readonly void Free()
        {
            if (!_set)
            {
                _handle.Dispose();
            }
        }
    }
}

[CustomMarshaller(typeof(StoragePoolHandle), MarshalMode.ManagedToUnmanagedIn, typeof(In))]
[CustomMarshaller(typeof(StoragePoolHandle), MarshalMode.ManagedToUnmanagedOut, typeof(Out))]
internal static class StoragePoolHandleMarshaller
{
    public struct In
    {
        private GatedCall _call;
        private StoragePoolHandle? _handle;

        public void FromManaged(StoragePoolHandle handle) => _handle = handle;

        public nint ToUnmanaged() => _call.Enter(_handle!);

        public readonly void Free() => _call.Exit();
    }

    public struct Out
    {
        private readonly StoragePoolHandle _handle = new();
        private bool _set;

        public Out()
        {
        }

        public void FromUnmanaged(nint value)
        {
            _set = true;
            Marshal.InitHandle(_handle, value);
        }

        public readonly StoragePoolHandle ToManaged() => _handle;

        public readonly void Free()
        {
            if (!_set)
            {
                _handle.Dispose();
            }
        }
    }
}

[CustomMarshaller(typeof(StorageVolumeHandle), MarshalMode.ManagedToUnmanagedIn, typeof(In))]
[CustomMarshaller(typeof(StorageVolumeHandle), MarshalMode.ManagedToUnmanagedOut, typeof(Out))]
internal static class StorageVolumeHandleMarshaller
{
    public struct In
    {
        private GatedCall _call;
        private StorageVolumeHandle? _handle;

        public void FromManaged(StorageVolumeHandle handle) => _handle = handle;

        public nint ToUnmanaged() => _call.Enter(_handle!);

        public readonly void Free() => _call.Exit();
    }

    public struct Out
    {
        private readonly StorageVolumeHandle _handle = new();
        private bool _set;

        public Out()
        {
        }

        public void FromUnmanaged(nint value)
        {
            _set = true;
            Marshal.InitHandle(_handle, value);
        }

        public readonly StorageVolumeHandle ToManaged() => _handle;

        public readonly void Free()
        {
            if (!_set)
            {
                _handle.Dispose();
            }
        }
    }
}

[CustomMarshaller(typeof(NetworkHandle), MarshalMode.ManagedToUnmanagedIn, typeof(In))]
[CustomMarshaller(typeof(NetworkHandle), MarshalMode.ManagedToUnmanagedOut, typeof(Out))]
internal static class NetworkHandleMarshaller
{
    public struct In
    {
        private GatedCall _call;
        private NetworkHandle? _handle;

        public void FromManaged(NetworkHandle handle) => _handle = handle;

        public nint ToUnmanaged() => _call.Enter(_handle!);

        public readonly void Free() => _call.Exit();
    }

    public struct Out
    {
        private readonly NetworkHandle _handle = new();
        private bool _set;

        public Out()
        {
        }

        public void FromUnmanaged(nint value)
        {
            _set = true;
            Marshal.InitHandle(_handle, value);
        }

        public readonly NetworkHandle ToManaged() => _handle;

        public readonly void Free()
        {
            if (!_set)
            {
                _handle.Dispose();
            }
        }
    }
}

[CustomMarshaller(typeof(DomainSnapshotHandle), MarshalMode.ManagedToUnmanagedIn, typeof(In))]
[CustomMarshaller(typeof(DomainSnapshotHandle), MarshalMode.ManagedToUnmanagedOut, typeof(Out))]
internal static class DomainSnapshotHandleMarshaller
{
    public struct In
    {
        private GatedCall _call;
        private DomainSnapshotHandle? _handle;

        public void FromManaged(DomainSnapshotHandle handle) => _handle = handle;

        public nint ToUnmanaged() => _call.Enter(_handle!);

        public readonly void Free() => _call.Exit();
    }

    public struct Out
    {
        private readonly DomainSnapshotHandle _handle = new();
        private bool _set;

        public Out()
        {
        }

        public void FromUnmanaged(nint value)
        {
            _set = true;
            Marshal.InitHandle(_handle, value);
        }

        public readonly DomainSnapshotHandle ToManaged() => _handle;

        public readonly void Free()
        {
            if (!_set)
            {
                _handle.Dispose();
            }
        }
    }
}

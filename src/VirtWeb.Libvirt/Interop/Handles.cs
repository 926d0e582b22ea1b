using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace VirtWeb.Libvirt.Interop;

/// <summary>A libvirt object reference; releasing it drops one libvirt reference count.</summary>
internal abstract class LibvirtHandle : SafeHandle
{
    protected LibvirtHandle() : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>
    /// The connection's call gate (see <see cref="GatedCall"/>), held while a P/Invoke runs with this
    /// handle; null until the object is tied to its connection, and for streams, whose calls may wait for data.
    /// </summary>
    internal Lock? Gate { get; set; }

    /// <summary>Takes ownership of a reference libvirt handed over (e.g. an element of a ListAll array).</summary>
    protected void Adopt(nint existing) => SetHandle(existing);
}

[NativeMarshalling(typeof(DomainHandleMarshaller))]
internal sealed class DomainHandle : LibvirtHandle
{
    public DomainHandle()
    {
    }

    internal DomainHandle(nint existing) => Adopt(existing);

    protected override bool ReleaseHandle() => Native.virDomainFree(handle) == 0;
}

[NativeMarshalling(typeof(StoragePoolHandleMarshaller))]
internal sealed class StoragePoolHandle : LibvirtHandle
{
    public StoragePoolHandle()
    {
    }

    internal StoragePoolHandle(nint existing) => Adopt(existing);

    protected override bool ReleaseHandle() => Native.virStoragePoolFree(handle) == 0;
}

[NativeMarshalling(typeof(StorageVolumeHandleMarshaller))]
internal sealed class StorageVolumeHandle : LibvirtHandle
{
    public StorageVolumeHandle()
    {
    }

    internal StorageVolumeHandle(nint existing) => Adopt(existing);

    protected override bool ReleaseHandle() => Native.virStorageVolFree(handle) == 0;
}

internal sealed class StreamHandle : LibvirtHandle
{
    public StreamHandle()
    {
    }

    protected override bool ReleaseHandle() => Native.virStreamFree(handle) == 0;
}

/// <summary>
/// A connection. Event callbacks and the close callback each hold a libvirt reference on the
/// connection, so virConnectClose alone would leave the socket open; releasing the handle therefore
/// deregisters everything still registered first. This also runs when the handle is finalized.
/// </summary>
[NativeMarshalling(typeof(ConnectHandleMarshaller))]
internal sealed unsafe class ConnectHandle : LibvirtHandle
{
    private readonly ConcurrentDictionary<int, byte> _domainCallbacks = new();
    private readonly ConcurrentDictionary<int, byte> _poolCallbacks = new();
    private readonly ConcurrentDictionary<int, byte> _networkCallbacks = new();
    private delegate* unmanaged<nint, int, nint, void> _closeCallback;

    public ConnectHandle() => Gate = new Lock();

    internal void TrackCloseCallback(delegate* unmanaged<nint, int, nint, void> callback) => _closeCallback = callback;

    internal void TrackDomainCallback(int id) => _domainCallbacks.TryAdd(id, 0);

    internal void TrackPoolCallback(int id) => _poolCallbacks.TryAdd(id, 0);

    internal void DeregisterDomainCallback(int id) => Deregister(_domainCallbacks, id, &Native.virConnectDomainEventDeregisterAny);

    internal void DeregisterPoolCallback(int id) => Deregister(_poolCallbacks, id, &Native.virConnectStoragePoolEventDeregisterAny);

    internal void TrackNetworkCallback(int id) => _networkCallbacks.TryAdd(id, 0);

    internal void DeregisterNetworkCallback(int id) => Deregister(_networkCallbacks, id, &Native.virConnectNetworkEventDeregisterAny);

    /// <summary>Deregisters one callback unless the connection already did so while closing.</summary>
    private void Deregister(ConcurrentDictionary<int, byte> registered, int id, delegate* managed<nint, int, int> deregister)
    {
        if (!registered.TryRemove(id, out _))
        {
            return;
        }
        var added = false;
        try
        {
            DangerousAddRef(ref added);
            using (Gate!.EnterScope())
            {
                deregister(handle, id);
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed concurrently: ReleaseHandle deregistered everything.
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle()
    {
        // Domains and pools hold no reference on this handle, so their calls may still be running: wait for the gate.
        using var scope = Gate!.EnterScope();
        foreach (var id in _domainCallbacks.Keys)
        {
            if (_domainCallbacks.TryRemove(id, out _))
            {
                Native.virConnectDomainEventDeregisterAny(handle, id);
            }
        }
        foreach (var id in _poolCallbacks.Keys)
        {
            if (_poolCallbacks.TryRemove(id, out _))
            {
                Native.virConnectStoragePoolEventDeregisterAny(handle, id);
            }
        }
        foreach (var id in _networkCallbacks.Keys)
        {
            if (_networkCallbacks.TryRemove(id, out _))
            {
                Native.virConnectNetworkEventDeregisterAny(handle, id);
            }
        }
        if (_closeCallback != null)
        {
            Native.virConnectUnregisterCloseCallback(handle, _closeCallback);
        }
        // virConnectClose returns the remaining reference count (objects still alive keep it open).
        return Native.virConnectClose(handle) >= 0;
    }
}

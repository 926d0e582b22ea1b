using System.Runtime.InteropServices;
using System.Threading.Channels;
using VirtWeb.Libvirt.Interop;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt;

/// <summary>
/// An open hypervisor connection (<c>virConnectPtr</c>). Thread-safe as libvirt is; dispose to close.
/// Objects obtained from it (domains, pools, volumes) hold their own libvirt references and stay usable
/// until disposed, but event subscriptions end when the connection is disposed.
/// </summary>
public sealed unsafe partial class LibvirtConnection : IDisposable
{
    private readonly ConnectHandle _handle;
    private readonly EventHub _events;
    private long _calls;

    private LibvirtConnection(ConnectHandle handle)
    {
        _handle = handle;
        _events = new EventHub(handle);
        Uri = NativeHelpers.TakeString(Native.virConnectGetURI(Counted));
        RegisterCloseCallback();
    }

    /// <summary>
    /// Raised on the event-loop thread when libvirt loses the connection (EOF, keepalive timeout, error).
    /// Not raised by <see cref="Dispose"/>. Handlers must not block.
    /// </summary>
    public event EventHandler<ConnectionClosedEventArgs>? Closed;

    /// <summary>The canonical URI libvirt reports (e.g. <c>qemu:///system</c>).</summary>
    public string Uri { get; }

    internal ConnectHandle Handle => _handle;

    /// <summary>
    /// How many libvirt calls this connection and the domains, pools and volumes it handed out have made (not stream
    /// transfers or event registrations): what a piece of work costs the host, for tests and diagnostics.
    /// </summary>
    public long CallCount => Interlocked.Read(ref _calls);

    /// <summary>The handle for one libvirt call, counted in <see cref="CallCount"/>.</summary>
    private ConnectHandle Counted
    {
        get
        {
            CountCall();
            return _handle;
        }
    }

    public bool IsAlive => NativeHelpers.Check(Native.virConnectIsAlive(Counted)) == 1;

    /// <summary>Whether this object was disposed (its owner gave the connection up): every call on it then throws <see cref="ObjectDisposedException"/>.</summary>
    public bool IsClosed => _handle.IsClosed;

    public string Hostname => NativeHelpers.TakeString(Native.virConnectGetHostname(Counted));

    /// <summary>The driver name, e.g. "QEMU", "TEST", "LXC".</summary>
    public string HypervisorType => NativeHelpers.BorrowString(Native.virConnectGetType(Counted));

    public Version LibraryVersion
    {
        get
        {
            nuint version;
            NativeHelpers.Check(Native.virConnectGetLibVersion(Counted, &version));
            return NativeHelpers.DecodeVersion(version);
        }
    }

    public Version HypervisorVersion
    {
        get
        {
            nuint version;
            NativeHelpers.Check(Native.virConnectGetVersion(Counted, &version));
            return NativeHelpers.DecodeVersion(version);
        }
    }

    /// <summary>Opens <paramref name="uri"/> (e.g. <c>qemu:///system</c>, <c>test:///default</c>).</summary>
    public static LibvirtConnection Open(string uri, ConnectFlags flags = ConnectFlags.None)
    {
        ArgumentNullException.ThrowIfNull(uri);
        LibvirtEventLoop.Instance.EnsureStarted();
        var handle = flags == ConnectFlags.None
            ? NativeHelpers.Check(Native.virConnectOpen(uri))
            : NativeHelpers.Check(Native.virConnectOpenAuth(uri, null, (uint)flags));
        return new LibvirtConnection(handle);
    }

    /// <summary>
    /// Sends a keepalive every <paramref name="intervalSeconds"/> and closes the connection (raising
    /// <see cref="Closed"/> with <see cref="ConnectionCloseReason.Keepalive"/>) after <paramref name="count"/>
    /// unanswered ones. Returns false when the driver has no keepalive (local drivers such as test://).
    /// </summary>
    public bool SetKeepAlive(int intervalSeconds, int count)
    {
        var result = Native.virConnectSetKeepAlive(Counted, intervalSeconds, (uint)count);
        if (result < 0)
        {
            var error = NativeHelpers.LastError("virConnectSetKeepAlive");
            if (error.Code == LibvirtErrorCode.NoSupport)
            {
                return false;
            }
            throw error;
        }
        return result == 0;
    }

    public string GetCapabilitiesXml() => NativeHelpers.TakeString(Native.virConnectGetCapabilities(Counted));

    public HostCapabilities GetCapabilities() => HostCapabilities.Parse(GetCapabilitiesXml());

    /// <summary>What a guest of the given emulator/arch/machine/virt type may use; nulls mean libvirt's defaults.</summary>
    public string GetDomainCapabilitiesXml(string? emulatorPath = null, string? arch = null, string? machine = null, string? virtType = null) =>
        NativeHelpers.TakeString(Native.virConnectGetDomainCapabilities(Counted, emulatorPath, arch, machine, virtType, 0));

    public DomainCapabilities GetDomainCapabilities(string? emulatorPath = null, string? arch = null, string? machine = null, string? virtType = null) =>
        DomainCapabilities.Parse(GetDomainCapabilitiesXml(emulatorPath, arch, machine, virtType));

    public NodeInfo GetNodeInfo()
    {
        VirNodeInfo info;
        NativeHelpers.Check(Native.virNodeGetInfo(Counted, &info));
        return new NodeInfo(
            NativeHelpers.Utf8(info.Model) ?? string.Empty, info.Memory, (int)info.Cpus, (int)info.Mhz,
            (int)info.Nodes, (int)info.Sockets, (int)info.Cores, (int)info.Threads);
    }

    /// <summary>Free host memory in bytes.</summary>
    public ulong GetFreeMemoryBytes()
    {
        var free = Native.virNodeGetFreeMemory(Counted);
        // 0 is both "no memory free" and the error value; only a set error tells them apart.
        if (free == 0 && Native.virGetLastError() != null)
        {
            throw NativeHelpers.LastError("virNodeGetFreeMemory");
        }
        return free;
    }

    // ---- Domains ----

    public IReadOnlyList<LibvirtDomain> ListDomains(DomainListFlags flags = DomainListFlags.None)
    {
        nint* domains;
        var count = NativeHelpers.Check(Native.virConnectListAllDomains(Counted, &domains, (uint)flags));
        return NativeHelpers.AdoptArray(domains, count, ptr => new LibvirtDomain(this, new DomainHandle(ptr)));
    }

    public LibvirtDomain GetDomainByName(string name) =>
        new(this, NativeHelpers.Check(Native.virDomainLookupByName(Counted, name)));

    public LibvirtDomain GetDomainByUuid(Guid uuid) =>
        new(this, NativeHelpers.Check(Native.virDomainLookupByUUIDString(Counted, uuid.ToString("D"))));

    /// <summary>Looks up a running domain by its hypervisor id.</summary>
    public LibvirtDomain GetDomainById(int id) =>
        new(this, NativeHelpers.Check(Native.virDomainLookupByID(Counted, id)));

    /// <summary>Defines (or redefines, matching by UUID/name) a persistent domain; does not start it.</summary>
    public LibvirtDomain DefineDomain(string xml, DomainDefineFlags flags = DomainDefineFlags.None) =>
        new(this, flags == DomainDefineFlags.None
            ? NativeHelpers.Check(Native.virDomainDefineXML(Counted, xml))
            : NativeHelpers.Check(Native.virDomainDefineXMLFlags(Counted, xml, (uint)flags)));

    /// <summary>
    /// <c>virConnectGetAllDomainStats</c>: one record per domain. <paramref name="types"/> None asks for
    /// every group the driver supports.
    /// </summary>
    public IReadOnlyList<DomainStats> GetAllDomainStats(DomainStatsTypes types = DomainStatsTypes.None, DomainStatsFlags flags = DomainStatsFlags.None)
    {
        VirDomainStatsRecord** records;
        var count = NativeHelpers.Check(Native.virConnectGetAllDomainStats(Counted, (uint)types, &records, (uint)flags));
        return TakeStats(records, count);
    }

    /// <summary>Copies libvirt's stats records into managed ones and frees the list.</summary>
    private static List<DomainStats> TakeStats(VirDomainStatsRecord** records, int count)
    {
        try
        {
            var result = new List<DomainStats>(count);
            for (var i = 0; i < count; i++)
            {
                result.Add(DomainStats.FromNative(records[i]));
            }
            return result;
        }
        finally
        {
            Native.virDomainStatsRecordListFree(records);
        }
    }

    // ---- Storage ----

    public IReadOnlyList<LibvirtStoragePool> ListStoragePools(StoragePoolListFlags flags = StoragePoolListFlags.None)
    {
        nint* pools;
        var count = NativeHelpers.Check(Native.virConnectListAllStoragePools(Counted, &pools, (uint)flags));
        return NativeHelpers.AdoptArray(pools, count, ptr => new LibvirtStoragePool(this, new StoragePoolHandle(ptr)));
    }

    public LibvirtStoragePool GetStoragePoolByName(string name) =>
        new(this, NativeHelpers.Check(Native.virStoragePoolLookupByName(Counted, name)));

    public LibvirtStoragePool GetStoragePoolByUuid(Guid uuid) =>
        new(this, NativeHelpers.Check(Native.virStoragePoolLookupByUUIDString(Counted, uuid.ToString("D"))));

    /// <summary>Defines a persistent pool (inactive until <see cref="LibvirtStoragePool.Start"/>).</summary>
    public LibvirtStoragePool DefineStoragePool(string xml) =>
        new(this, NativeHelpers.Check(Native.virStoragePoolDefineXML(Counted, xml, 0)));

    /// <summary>Creates and starts a transient pool that disappears when stopped.</summary>
    public LibvirtStoragePool CreateStoragePool(string xml) =>
        new(this, NativeHelpers.Check(Native.virStoragePoolCreateXML(Counted, xml, 0)));

    public LibvirtStorageVolume GetStorageVolumeByPath(string path) =>
        new(this, NativeHelpers.Check(Native.virStorageVolLookupByPath(Counted, path)));

    public LibvirtStorageVolume GetStorageVolumeByKey(string key) =>
        new(this, NativeHelpers.Check(Native.virStorageVolLookupByKey(Counted, key)));

    // ---- Events ----

    /// <summary>
    /// Calls <paramref name="handler"/> on the event-loop thread for each <paramref name="kind"/> event of
    /// every domain, or only of <paramref name="domain"/>. The handler must not block; what it throws is
    /// reported through <see cref="LibvirtEventLoop.HandlerFailed"/>. Dispose the result to unsubscribe.
    /// </summary>
    public IDisposable SubscribeDomainEvents(DomainEventKind kind, Action<LibvirtEvent> handler, LibvirtDomain? domain = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _events.SubscribeDomain(domain, kind, handler);
    }

    /// <summary>Writes each event into <paramref name="writer"/> with TryWrite (never blocks; a full bounded channel drops).</summary>
    public IDisposable SubscribeDomainEvents(DomainEventKind kind, ChannelWriter<LibvirtEvent> writer, LibvirtDomain? domain = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        return SubscribeDomainEvents(kind, e => writer.TryWrite(e), domain);
    }

    /// <summary>Like <see cref="SubscribeDomainEvents(DomainEventKind, Action{LibvirtEvent}, LibvirtDomain?)"/>, for storage pools.</summary>
    public IDisposable SubscribeStoragePoolEvents(StoragePoolEventKind kind, Action<LibvirtEvent> handler, LibvirtStoragePool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _events.SubscribeStoragePool(pool, kind, handler);
    }

    public IDisposable SubscribeStoragePoolEvents(StoragePoolEventKind kind, ChannelWriter<LibvirtEvent> writer, LibvirtStoragePool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        return SubscribeStoragePoolEvents(kind, e => writer.TryWrite(e), pool);
    }

    /// <summary>Deregisters callbacks and closes the connection.</summary>
    public void Dispose() => _handle.Dispose();

    public override string ToString() => Uri;

    internal void CountCall() => Interlocked.Increment(ref _calls);

    internal LibvirtStream NewStream() => new(NativeHelpers.Check(Native.virStreamNew(Counted, 0)));

    private void RegisterCloseCallback()
    {
        // A weak handle: libvirt must not keep this object alive; if it is collected the handle's
        // finalizer unregisters the callback and closes the connection.
        var self = GCHandle.Alloc(this, GCHandleType.Weak);
        LibvirtException? error = null;
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            if (Native.virConnectRegisterCloseCallback(Counted.DangerousGetHandle(), &OnClosed, GCHandle.ToIntPtr(self), &FreeWeakHandle) < 0)
            {
                error = NativeHelpers.LastError("virConnectRegisterCloseCallback");
            }
            else
            {
                _handle.TrackCloseCallback(&OnClosed);
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
        if (error is not null)
        {
            // Not registered, so freecb will never run.
            self.Free();
            if (error.Code != LibvirtErrorCode.NoSupport)
            {
                _handle.Dispose();
                throw error;
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnClosed(nint conn, int reason, nint opaque)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is LibvirtConnection connection)
            {
                connection.Closed?.Invoke(connection, new ConnectionClosedEventArgs((ConnectionCloseReason)reason));
            }
        }
        catch (Exception exception)
        {
            LibvirtEventLoop.Instance.ReportHandlerFailure(exception);
        }
    }

    [UnmanagedCallersOnly]
    private static void FreeWeakHandle(nint opaque) => GCHandle.FromIntPtr(opaque).Free();
}

using System.Runtime.InteropServices;

namespace VirtWeb.Libvirt.Interop;

/// <summary>
/// The libvirt C API, one import per function we use. Ownership rules live next to each group:
/// "caller frees" results are released with <see cref="NativeMemory.Free"/> (libc free, which is what
/// libvirt's g_malloc uses); "borrowed" results belong to the object they came from and must not be freed.
/// Optional object arguments (domain/pool filters) are raw pointers because the generated marshaller
/// rejects a null SafeHandle; callers keep those handles alive with DangerousAddRef.
/// </summary>
internal static unsafe partial class Native
{
    private const string Lib = "libvirt.so.0";
    private const string QemuLib = "libvirt-qemu.so.0";

    // Errors and initialisation
    [LibraryImport(Lib)] internal static partial int virInitialize();
    [LibraryImport(Lib)] internal static partial VirError* virGetLastError();
    [LibraryImport(Lib)] internal static partial void virResetLastError();
    [LibraryImport(Lib)] internal static partial void virSetErrorFunc(nint userData, delegate* unmanaged<nint, VirError*, void> handler);

    // Event loop
    [LibraryImport(Lib)] internal static partial int virEventRegisterDefaultImpl();
    [LibraryImport(Lib)] internal static partial int virEventRunDefaultImpl();

    // Connections
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ConnectHandle virConnectOpen(string? name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ConnectHandle virConnectOpenAuth(string? name, VirConnectAuth* auth, uint flags);
    [LibraryImport(Lib)] internal static partial int virConnectClose(nint conn);
    [LibraryImport(Lib)] internal static partial int virConnectSetKeepAlive(ConnectHandle conn, int interval, uint count);
    [LibraryImport(Lib)]
    internal static partial int virConnectRegisterCloseCallback(nint conn, delegate* unmanaged<nint, int, nint, void> cb, nint opaque, delegate* unmanaged<nint, void> freecb);
    [LibraryImport(Lib)]
    internal static partial int virConnectUnregisterCloseCallback(nint conn, delegate* unmanaged<nint, int, nint, void> cb);
    [LibraryImport(Lib)] internal static partial int virConnectIsAlive(ConnectHandle conn);
    [LibraryImport(Lib)] internal static partial nint virConnectGetHostname(ConnectHandle conn); // caller frees
    [LibraryImport(Lib)] internal static partial int virConnectGetLibVersion(ConnectHandle conn, nuint* libVer);
    [LibraryImport(Lib)] internal static partial int virConnectGetVersion(ConnectHandle conn, nuint* hvVer);
    [LibraryImport(Lib)] internal static partial nint virConnectGetType(ConnectHandle conn); // static string, never freed
    [LibraryImport(Lib)] internal static partial nint virConnectGetURI(ConnectHandle conn); // caller frees
    [LibraryImport(Lib)] internal static partial nint virConnectGetCapabilities(ConnectHandle conn); // caller frees
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint virConnectGetDomainCapabilities(ConnectHandle conn, string? emulatorbin, string? arch, string? machine, string? virttype, uint flags); // caller frees
    [LibraryImport(Lib)] internal static partial int virNodeGetInfo(ConnectHandle conn, VirNodeInfo* info);
    [LibraryImport(Lib)] internal static partial ulong virNodeGetFreeMemory(ConnectHandle conn);

    // Domains. Arrays from ListAll are malloc'd; each element is a reference the caller must virDomainFree.
    [LibraryImport(Lib)] internal static partial int virConnectListAllDomains(ConnectHandle conn, nint** domains, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByName(ConnectHandle conn, string name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByUUIDString(ConnectHandle conn, string uuid);
    [LibraryImport(Lib)] internal static partial DomainHandle virDomainLookupByID(ConnectHandle conn, int id);
    [LibraryImport(Lib)] internal static partial nint virDomainGetName(nint domain); // borrowed
    [LibraryImport(Lib)] internal static partial int virDomainGetUUIDString(nint domain, byte* buf);
    [LibraryImport(Lib)] internal static partial uint virDomainGetID(DomainHandle domain);
    [LibraryImport(Lib)] internal static partial int virDomainGetState(DomainHandle domain, int* state, int* reason, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainGetInfo(DomainHandle domain, VirDomainInfo* info);
    [LibraryImport(Lib)] internal static partial nint virDomainGetXMLDesc(DomainHandle domain, uint flags); // caller frees
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainDefineXML(ConnectHandle conn, string xml);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainDefineXMLFlags(ConnectHandle conn, string xml, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainUndefineFlags(DomainHandle domain, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainCreate(DomainHandle domain);
    [LibraryImport(Lib)] internal static partial int virDomainShutdownFlags(DomainHandle domain, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainReboot(DomainHandle domain, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainDestroy(DomainHandle domain);
    [LibraryImport(Lib)] internal static partial int virDomainReset(DomainHandle domain, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainSuspend(DomainHandle domain);
    [LibraryImport(Lib)] internal static partial int virDomainResume(DomainHandle domain);
    [LibraryImport(Lib)] internal static partial int virDomainManagedSave(DomainHandle domain, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainHasManagedSaveImage(DomainHandle domain, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainManagedSaveRemove(DomainHandle domain, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainGetAutostart(DomainHandle domain, int* autostart);
    [LibraryImport(Lib)] internal static partial int virDomainSetAutostart(DomainHandle domain, int autostart);
    [LibraryImport(Lib)] internal static partial int virDomainIsActive(DomainHandle domain);
    [LibraryImport(Lib)] internal static partial int virDomainIsPersistent(DomainHandle domain);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainAttachDeviceFlags(DomainHandle domain, string xml, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainDetachDeviceFlags(DomainHandle domain, string xml, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainFree(nint domain);

    // Bulk statistics: the record list (domains and typed parameters included) is released by one call.
    [LibraryImport(Lib)]
    internal static partial int virConnectGetAllDomainStats(ConnectHandle conn, uint stats, VirDomainStatsRecord*** retStats, uint flags);
    [LibraryImport(Lib)] internal static partial void virDomainStatsRecordListFree(VirDomainStatsRecord** stats);

    // Guest agent (libvirt-qemu.so)
    [LibraryImport(QemuLib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint virDomainQemuAgentCommand(DomainHandle domain, string cmd, int timeout, uint flags); // caller frees

    // Storage pools
    [LibraryImport(Lib)] internal static partial int virConnectListAllStoragePools(ConnectHandle conn, nint** pools, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolLookupByName(ConnectHandle conn, string name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolLookupByUUIDString(ConnectHandle conn, string uuid);
    [LibraryImport(Lib)] internal static partial StoragePoolHandle virStoragePoolLookupByVolume(StorageVolumeHandle vol);
    [LibraryImport(Lib)] internal static partial nint virStoragePoolGetName(nint pool); // borrowed
    [LibraryImport(Lib)] internal static partial int virStoragePoolGetUUIDString(nint pool, byte* buf);
    [LibraryImport(Lib)] internal static partial int virStoragePoolGetInfo(StoragePoolHandle pool, VirStoragePoolInfo* info);
    [LibraryImport(Lib)] internal static partial nint virStoragePoolGetXMLDesc(StoragePoolHandle pool, uint flags); // caller frees
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolDefineXML(ConnectHandle conn, string xml, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolCreateXML(ConnectHandle conn, string xml, uint flags);
    [LibraryImport(Lib)] internal static partial int virStoragePoolBuild(StoragePoolHandle pool, uint flags);
    [LibraryImport(Lib)] internal static partial int virStoragePoolCreate(StoragePoolHandle pool, uint flags);
    [LibraryImport(Lib)] internal static partial int virStoragePoolDestroy(StoragePoolHandle pool);
    [LibraryImport(Lib)] internal static partial int virStoragePoolUndefine(StoragePoolHandle pool);
    [LibraryImport(Lib)] internal static partial int virStoragePoolDelete(StoragePoolHandle pool, uint flags);
    [LibraryImport(Lib)] internal static partial int virStoragePoolRefresh(StoragePoolHandle pool, uint flags);
    [LibraryImport(Lib)] internal static partial int virStoragePoolGetAutostart(StoragePoolHandle pool, int* autostart);
    [LibraryImport(Lib)] internal static partial int virStoragePoolSetAutostart(StoragePoolHandle pool, int autostart);
    [LibraryImport(Lib)] internal static partial int virStoragePoolIsActive(StoragePoolHandle pool);
    [LibraryImport(Lib)] internal static partial int virStoragePoolIsPersistent(StoragePoolHandle pool);
    [LibraryImport(Lib)] internal static partial int virStoragePoolFree(nint pool);

    // Storage volumes
    [LibraryImport(Lib)] internal static partial int virStoragePoolListAllVolumes(StoragePoolHandle pool, nint** vols, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolumeHandle virStorageVolLookupByName(StoragePoolHandle pool, string name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolumeHandle virStorageVolLookupByPath(ConnectHandle conn, string path);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolumeHandle virStorageVolLookupByKey(ConnectHandle conn, string key);
    [LibraryImport(Lib)] internal static partial nint virStorageVolGetName(StorageVolumeHandle vol); // borrowed
    [LibraryImport(Lib)] internal static partial nint virStorageVolGetKey(StorageVolumeHandle vol); // borrowed
    [LibraryImport(Lib)] internal static partial nint virStorageVolGetPath(StorageVolumeHandle vol); // caller frees
    [LibraryImport(Lib)] internal static partial int virStorageVolGetInfo(StorageVolumeHandle vol, VirStorageVolInfo* info);
    [LibraryImport(Lib)] internal static partial nint virStorageVolGetXMLDesc(StorageVolumeHandle vol, uint flags); // caller frees
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolumeHandle virStorageVolCreateXML(StoragePoolHandle pool, string xml, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolumeHandle virStorageVolCreateXMLFrom(StoragePoolHandle pool, string xml, StorageVolumeHandle clonevol, uint flags);
    [LibraryImport(Lib)] internal static partial int virStorageVolDelete(StorageVolumeHandle vol, uint flags);
    [LibraryImport(Lib)] internal static partial int virStorageVolResize(StorageVolumeHandle vol, ulong capacity, uint flags);
    [LibraryImport(Lib)] internal static partial int virStorageVolWipe(StorageVolumeHandle vol, uint flags);
    [LibraryImport(Lib)] internal static partial int virStorageVolWipePattern(StorageVolumeHandle vol, uint algorithm, uint flags);
    [LibraryImport(Lib)] internal static partial int virStorageVolUpload(StorageVolumeHandle vol, StreamHandle stream, ulong offset, ulong length, uint flags);
    [LibraryImport(Lib)] internal static partial int virStorageVolDownload(StorageVolumeHandle vol, StreamHandle stream, ulong offset, ulong length, uint flags);
    [LibraryImport(Lib)] internal static partial int virStorageVolFree(nint vol);

    // Streams
    [LibraryImport(Lib)] internal static partial StreamHandle virStreamNew(ConnectHandle conn, uint flags);
    [LibraryImport(Lib)] internal static partial int virStreamSend(StreamHandle stream, byte* data, nuint nbytes);
    [LibraryImport(Lib)] internal static partial int virStreamRecv(StreamHandle stream, byte* data, nuint nbytes);
    [LibraryImport(Lib)] internal static partial int virStreamFinish(StreamHandle stream);
    [LibraryImport(Lib)] internal static partial int virStreamAbort(StreamHandle stream);
    [LibraryImport(Lib)] internal static partial int virStreamFree(nint stream);
    [LibraryImport(Lib)]
    internal static partial int virStreamEventAddCallback(StreamHandle stream, int events, delegate* unmanaged<nint, int, nint, void> cb, nint opaque, delegate* unmanaged<nint, void> ff);
    [LibraryImport(Lib)] internal static partial int virStreamEventUpdateCallback(StreamHandle stream, int events);
    [LibraryImport(Lib)] internal static partial int virStreamEventRemoveCallback(StreamHandle stream);

    // Consoles
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainOpenConsole(DomainHandle domain, string? devName, StreamHandle stream, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainOpenGraphicsFD(DomainHandle domain, uint idx, uint flags);

    // Events. Callbacks are C function pointers cast to the "generic" type, as the C macros do.
    [LibraryImport(Lib)]
    internal static partial int virConnectDomainEventRegisterAny(nint conn, nint domain, int eventId, nint cb, nint opaque, delegate* unmanaged<nint, void> freecb);
    [LibraryImport(Lib)] internal static partial int virConnectDomainEventDeregisterAny(nint conn, int callbackId);
    [LibraryImport(Lib)]
    internal static partial int virConnectStoragePoolEventRegisterAny(nint conn, nint pool, int eventId, nint cb, nint opaque, delegate* unmanaged<nint, void> freecb);
    [LibraryImport(Lib)] internal static partial int virConnectStoragePoolEventDeregisterAny(nint conn, int callbackId);
}

using System.Runtime.InteropServices;

namespace VirtWeb.Libvirt.Interop;

/// <summary>Virtual networks, their DHCP leases and events, and the host's interfaces (bridges, addresses).</summary>
internal static unsafe partial class Native
{
    // Networks. Arrays from ListAll are malloc'd; each element is a reference the caller must virNetworkFree.
    [LibraryImport(Lib)] internal static partial int virConnectListAllNetworks(ConnectHandle conn, nint** nets, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle virNetworkLookupByName(ConnectHandle conn, string name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle virNetworkLookupByUUIDString(ConnectHandle conn, string uuid);
    [LibraryImport(Lib)] internal static partial nint virNetworkGetName(nint net); // borrowed
    [LibraryImport(Lib)] internal static partial int virNetworkGetUUIDString(nint net, byte* buf);
    [LibraryImport(Lib)] internal static partial nint virNetworkGetXMLDesc(NetworkHandle net, uint flags); // caller frees
    [LibraryImport(Lib)] internal static partial nint virNetworkGetBridgeName(NetworkHandle net); // caller frees
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle virNetworkDefineXML(ConnectHandle conn, string xml);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle virNetworkCreateXML(ConnectHandle conn, string xml);
    [LibraryImport(Lib)] internal static partial int virNetworkCreate(NetworkHandle net);
    [LibraryImport(Lib)] internal static partial int virNetworkDestroy(NetworkHandle net);
    [LibraryImport(Lib)] internal static partial int virNetworkUndefine(NetworkHandle net);
    [LibraryImport(Lib)] internal static partial int virNetworkGetAutostart(NetworkHandle net, int* autostart);
    [LibraryImport(Lib)] internal static partial int virNetworkSetAutostart(NetworkHandle net, int autostart);
    [LibraryImport(Lib)] internal static partial int virNetworkIsActive(NetworkHandle net);
    [LibraryImport(Lib)] internal static partial int virNetworkIsPersistent(NetworkHandle net);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virNetworkUpdate(NetworkHandle net, uint command, uint section, int parentIndex, string xml, uint flags);
    [LibraryImport(Lib)] internal static partial int virNetworkFree(nint net);

    // DHCP leases: the array and each lease are released by the caller (virNetworkDHCPLeaseFree, then free).
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virNetworkGetDHCPLeases(NetworkHandle net, string? mac, VirNetworkDHCPLease*** leases, uint flags);
    [LibraryImport(Lib)] internal static partial void virNetworkDHCPLeaseFree(VirNetworkDHCPLease* lease);

    // Host interfaces (the interface driver: udev on Debian)
    [LibraryImport(Lib)] internal static partial int virConnectListAllInterfaces(ConnectHandle conn, nint** ifaces, uint flags);
    [LibraryImport(Lib)] internal static partial nint virInterfaceGetXMLDesc(nint iface, uint flags); // caller frees
    [LibraryImport(Lib)] internal static partial int virInterfaceFree(nint iface);

    // Guest NICs: a device changed in place (network, link state) rather than detached and attached again.
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainUpdateDeviceFlags(DomainHandle domain, string xml, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virConnectNetworkEventRegisterAny(nint conn, nint net, int eventId, nint cb, nint opaque, delegate* unmanaged<nint, void> freecb);
    [LibraryImport(Lib)] internal static partial int virConnectNetworkEventDeregisterAny(nint conn, int callbackId);
}

/// <summary><c>virNetworkDHCPLease</c> (libvirt 9.0, LP64).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VirNetworkDHCPLease
{
    public byte* Iface;
    public long ExpiryTime;
    public int Type;
    public byte* Mac;
    public byte* Iaid;
    public byte* IpAddress;
    public uint Prefix;
    public byte* Hostname;
    public byte* ClientId;
}

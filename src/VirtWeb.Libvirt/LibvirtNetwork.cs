using VirtWeb.Libvirt.Interop;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt;

/// <summary>A virtual network (<c>virNetworkPtr</c>). Dispose to drop the reference.</summary>
public sealed unsafe class LibvirtNetwork : IDisposable
{
    private readonly CountedHandle<NetworkHandle> _handle;
    private string? _name;
    private Guid? _uuid;

    internal LibvirtNetwork(LibvirtConnection connection, NetworkHandle handle) => _handle = new(connection, handle);

    public LibvirtConnection Connection => _handle.Connection;

    internal NetworkHandle Handle => _handle.Handle;

    public string Name => _name ??= _handle.WithPointer(ptr => NativeHelpers.BorrowString(Native.virNetworkGetName(ptr)));

    public Guid Uuid => _uuid ??= _handle.WithPointer(ptr => NativeHelpers.ReadUuid(&Native.virNetworkGetUUIDString, ptr, "virNetworkGetUUIDString"));

    public bool IsActive => NativeHelpers.Check(Native.virNetworkIsActive(_handle.Counted)) == 1;

    public bool IsPersistent => NativeHelpers.Check(Native.virNetworkIsPersistent(_handle.Counted)) == 1;

    public bool Autostart
    {
        get
        {
            int autostart;
            NativeHelpers.Check(Native.virNetworkGetAutostart(_handle.Counted, &autostart));
            return autostart != 0;
        }
        set => NativeHelpers.Check(Native.virNetworkSetAutostart(_handle.Counted, value ? 1 : 0));
    }

    /// <summary>The host bridge the network's guests plug into (libvirt's own for NAT, routed and isolated networks).</summary>
    public string BridgeName => NativeHelpers.TakeString(Native.virNetworkGetBridgeName(_handle.Counted));

    public string GetXml(NetworkXmlFlags flags = NetworkXmlFlags.None) =>
        NativeHelpers.TakeString(Native.virNetworkGetXMLDesc(_handle.Counted, (uint)flags));

    public NetworkDefinition GetDefinition(NetworkXmlFlags flags = NetworkXmlFlags.None) => NetworkDefinition.Parse(GetXml(flags));

    /// <summary>Starts a defined network (<c>virNetworkCreate</c>): its bridge, and dnsmasq where it serves DHCP.</summary>
    public void Start() => NativeHelpers.Check(Native.virNetworkCreate(_handle.Counted));

    /// <summary>Stops the network (<c>virNetworkDestroy</c>); a transient one disappears.</summary>
    public void Stop() => NativeHelpers.Check(Native.virNetworkDestroy(_handle.Counted));

    public void Undefine() => NativeHelpers.Check(Native.virNetworkUndefine(_handle.Counted));

    /// <summary>
    /// Changes one part of the network in place (<c>virNetworkUpdate</c>), e.g. adds a DHCP host entry, live and in
    /// the definition, without restarting the network. <paramref name="parentIndex"/> picks the &lt;ip&gt; element (-1: the first that fits).
    /// </summary>
    public void Update(NetworkUpdateCommand command, NetworkUpdateSection section, string xml, NetworkUpdateFlags flags = NetworkUpdateFlags.Current, int parentIndex = -1) =>
        NativeHelpers.Check(Native.virNetworkUpdate(_handle.Counted, (uint)command, (uint)section, parentIndex, xml, (uint)flags));

    /// <summary>The leases the network's DHCP server (dnsmasq) holds, or only those of <paramref name="mac"/>.</summary>
    public IReadOnlyList<DhcpLease> GetDhcpLeases(string? mac = null)
    {
        VirNetworkDHCPLease** leases;
        var count = NativeHelpers.Check(Native.virNetworkGetDHCPLeases(_handle.Counted, mac, &leases, 0));
        var result = new List<DhcpLease>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var lease = leases[i];
                result.Add(new DhcpLease(
                    NativeHelpers.Utf8(lease->Iface) ?? string.Empty,
                    DateTimeOffset.FromUnixTimeSeconds(lease->ExpiryTime),
                    (IpAddressType)lease->Type,
                    NativeHelpers.Utf8(lease->Mac) ?? string.Empty,
                    NativeHelpers.Utf8(lease->Iaid),
                    NativeHelpers.Utf8(lease->IpAddress) ?? string.Empty,
                    (int)lease->Prefix,
                    NativeHelpers.Utf8(lease->Hostname),
                    NativeHelpers.Utf8(lease->ClientId)));
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                Native.virNetworkDHCPLeaseFree(leases[i]);
            }
            System.Runtime.InteropServices.NativeMemory.Free(leases);
        }
        return result;
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => _name ?? "network";
}

/// <summary>One DHCP lease; <see cref="ClientId"/> is the client identifier (DHCPv4) or DUID (DHCPv6) the guest sent.</summary>
public sealed record DhcpLease(
    string Interface, DateTimeOffset Expiry, IpAddressType Type, string Mac, string? Iaid, string IpAddress, int Prefix,
    string? Hostname, string? ClientId);

using System.Threading.Channels;
using VirtWeb.Libvirt.Interop;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt;

/// <summary>Virtual networks and the host's interfaces.</summary>
public sealed unsafe partial class LibvirtConnection
{
    public IReadOnlyList<LibvirtNetwork> ListNetworks(NetworkListFlags flags = NetworkListFlags.None)
    {
        nint* networks;
        var count = NativeHelpers.Check(Native.virConnectListAllNetworks(Counted, &networks, (uint)flags));
        return NativeHelpers.AdoptArray(networks, count, ptr => new LibvirtNetwork(this, new NetworkHandle(ptr)));
    }

    public LibvirtNetwork GetNetworkByName(string name) =>
        new(this, NativeHelpers.Check(Native.virNetworkLookupByName(Counted, name)));

    public LibvirtNetwork GetNetworkByUuid(Guid uuid) =>
        new(this, NativeHelpers.Check(Native.virNetworkLookupByUUIDString(Counted, uuid.ToString("D"))));

    /// <summary>Defines a persistent network (inactive until <see cref="LibvirtNetwork.Start"/>).</summary>
    public LibvirtNetwork DefineNetwork(string xml) =>
        new(this, NativeHelpers.Check(Native.virNetworkDefineXML(Counted, xml)));

    /// <summary>Creates and starts a transient network that disappears when stopped.</summary>
    public LibvirtNetwork CreateNetwork(string xml) =>
        new(this, NativeHelpers.Check(Native.virNetworkCreateXML(Counted, xml)));

    /// <summary>
    /// The host's network interfaces as libvirt's interface driver reports them (physical NICs, bridges, bonds), with
    /// the addresses it knows; the udev backend reports no addresses.
    /// </summary>
    public IReadOnlyList<HostInterface> ListHostInterfaces()
    {
        nint* interfaces;
        // 0: active and inactive alike; a bridge that is down is still one a network may name.
        var count = NativeHelpers.Check(Native.virConnectListAllInterfaces(Counted, &interfaces, 0));
        var result = new List<HostInterface>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                CountCall();
                var xml = Native.virInterfaceGetXMLDesc(interfaces[i], 0);
                if (xml != 0)
                {
                    result.Add(HostInterface.Parse(NativeHelpers.TakeString(xml)));
                }
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                Native.virInterfaceFree(interfaces[i]);
            }
            System.Runtime.InteropServices.NativeMemory.Free(interfaces);
        }
        return result;
    }

    /// <summary>Like <see cref="SubscribeDomainEvents(DomainEventKind, Action{LibvirtEvent}, LibvirtDomain?)"/>, for virtual networks.</summary>
    public IDisposable SubscribeNetworkEvents(NetworkEventKind kind, Action<LibvirtEvent> handler, LibvirtNetwork? network = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _events.SubscribeNetwork(network, kind, handler);
    }

    public IDisposable SubscribeNetworkEvents(NetworkEventKind kind, ChannelWriter<LibvirtEvent> writer, LibvirtNetwork? network = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        return SubscribeNetworkEvents(kind, e => writer.TryWrite(e), network);
    }
}

using System.Net;
using System.Xml.Linq;

namespace VirtWeb.Libvirt.Xml;

/// <summary>How a network reaches the outside, from its <c>&lt;forward mode&gt;</c> (none: isolated).</summary>
public enum NetworkMode
{
    /// <summary>No forward element: guests reach each other and the host, nothing else.</summary>
    Isolated,

    /// <summary>Masqueraded behind the host's address.</summary>
    Nat,

    /// <summary>Routed by the host without address translation.</summary>
    Routed,

    /// <summary>Like routed, but libvirt adds no firewall rules at all.</summary>
    Open,

    /// <summary>Guests plugged into an existing host bridge, on the host's LAN.</summary>
    Bridge,

    /// <summary>macvtap on a host NIC (modes bridge, private, vepa, passthrough): on the LAN, but cut off from the host.</summary>
    Direct,

    /// <summary>SR-IOV functions handed to guests (hostdev), or a mode this reader does not know.</summary>
    Other,
}

/// <summary>
/// The parts of a <c>&lt;network&gt;</c> definition VirtWeb shows and edits. <see cref="Build"/> writes the XML
/// VirtWeb defines; everything else libvirt adds (its MAC, NAT ports, STP) is left to libvirt.
/// </summary>
public sealed record NetworkDefinition(
    string Name,
    Guid? Uuid,
    NetworkMode Mode,
    string? ForwardMode,
    string? ForwardDevice,
    string? BridgeName,
    IReadOnlyList<NetworkAddress> Addresses,
    IReadOnlyList<string> DirectDevices)
{
    public static NetworkDefinition Parse(string xml)
    {
        var root = XmlReading.Root(xml, "network");
        var forward = root.Element("forward");
        var forwardMode = forward is null ? null : forward.Attr("mode") ?? "nat";
        var bridge = root.Attr("bridge", "name");
        var mode = forwardMode switch
        {
            null => NetworkMode.Isolated,
            "nat" => NetworkMode.Nat,
            "route" => NetworkMode.Routed,
            "open" => NetworkMode.Open,
            // forward mode bridge names either a host bridge or, with no <bridge>, NICs to put macvtap on.
            "bridge" when bridge is not null => NetworkMode.Bridge,
            "bridge" or "private" or "vepa" or "passthrough" => NetworkMode.Direct,
            _ => NetworkMode.Other,
        };
        var addresses = root.Elements("ip").Select(NetworkAddress.Parse).OfType<NetworkAddress>().ToList();
        var devices = forward?.Elements("interface").Select(i => i.Attr("dev")).OfType<string>().ToList() ?? [];
        return new NetworkDefinition(
            root.Text("name") ?? string.Empty, XmlReading.Uuid(root.Text("uuid")), mode, forwardMode, forward.Attr("dev"), bridge, addresses, devices);
    }

    /// <summary>
    /// The XML of a new network. NAT, routed and isolated networks get a libvirt bridge named <see cref="BridgeName"/>
    /// and their addresses; a bridge network names an existing host bridge and carries no addresses (the LAN has them).
    /// </summary>
    public string Build()
    {
        var network = new XElement("network", new XElement("name", Name));
        if (Uuid is { } uuid)
        {
            network.Add(new XElement("uuid", uuid.ToString("D")));
        }

        switch (Mode)
        {
            case NetworkMode.Nat:
                network.Add(new XElement("forward", new XAttribute("mode", "nat")));
                break;
            case NetworkMode.Routed:
                network.Add(new XElement("forward", new XAttribute("mode", "route"), ForwardDevice is null ? null : new XAttribute("dev", ForwardDevice)));
                break;
            case NetworkMode.Open:
                network.Add(new XElement("forward", new XAttribute("mode", "open")));
                break;
            case NetworkMode.Bridge:
                network.Add(new XElement("forward", new XAttribute("mode", "bridge")));
                break;
            case NetworkMode.Isolated:
                break;
            default:
                throw new ArgumentException($"VirtWeb does not create {Mode} networks.", nameof(Mode));
        }

        if (BridgeName is not null)
        {
            network.Add(Mode == NetworkMode.Bridge
                ? new XElement("bridge", new XAttribute("name", BridgeName))
                : new XElement("bridge", new XAttribute("name", BridgeName), new XAttribute("stp", "on"), new XAttribute("delay", "0")));
        }

        if (Mode != NetworkMode.Bridge)
        {
            network.Add(Addresses.Select(a => a.ToXml()));
        }

        return network.ToString(SaveOptions.DisableFormatting);
    }
}

/// <summary>One <c>&lt;ip&gt;</c> of a network: the host's address on it, the prefix, and what its DHCP server hands out.</summary>
public sealed record NetworkAddress(string Address, int Prefix, DhcpRange? Range, IReadOnlyList<DhcpHost> Hosts)
{
    public bool IsIPv6 => IPAddress.TryParse(Address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    /// <summary>The subnet, e.g. 192.168.122.0/24.</summary>
    public IPNetwork Subnet => new(Masked(IPAddress.Parse(Address), Prefix), Prefix);

    internal static NetworkAddress? Parse(XElement ip)
    {
        var address = ip.Attr("address");
        if (address is null || !IPAddress.TryParse(address, out var parsed))
        {
            return null;
        }

        var prefix = XmlReading.Int(ip.Attr("prefix")) ?? PrefixOf(ip.Attr("netmask"))
            ?? (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 64 : 24);
        var dhcp = ip.Element("dhcp");
        var range = dhcp?.Element("range") is { } r && r.Attr("start") is { } start && r.Attr("end") is { } end ? new DhcpRange(start, end) : null;
        var hosts = dhcp?.Elements("host").Select(h => new DhcpHost(h.Attr("mac"), h.Attr("ip") ?? string.Empty, h.Attr("name"))).ToList() ?? [];
        return new NetworkAddress(address, prefix, range, hosts);
    }

    internal XElement ToXml() => new("ip",
        new XAttribute("address", Address),
        new XAttribute("prefix", Prefix),
        IsIPv6 ? new XAttribute("family", "ipv6") : null,
        Range is null && Hosts.Count == 0 ? null : new XElement("dhcp", Range?.ToElement(), Hosts.Select(h => h.ToElement())));

    /// <summary><paramref name="address"/> with the host bits cleared.</summary>
    public static IPAddress Masked(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    private static int? PrefixOf(string? netmask)
    {
        if (netmask is null || !IPAddress.TryParse(netmask, out var mask))
        {
            return null;
        }

        return mask.GetAddressBytes().Sum(b => System.Numerics.BitOperations.PopCount(b));
    }
}

public sealed record DhcpRange(string Start, string End)
{
    /// <summary>The <c>&lt;range&gt;</c> element, as <see cref="LibvirtNetwork.Update"/> takes it.</summary>
    public string ToXml() => ToElement().ToString(SaveOptions.DisableFormatting);

    internal XElement ToElement() => new("range", new XAttribute("start", Start), new XAttribute("end", End));
}

/// <summary>A static DHCP entry: the guest with <see cref="Mac"/> always gets <see cref="Ip"/> (and <see cref="Name"/> in DNS).</summary>
public sealed record DhcpHost(string? Mac, string Ip, string? Name)
{
    /// <summary>The <c>&lt;host&gt;</c> element, as <see cref="LibvirtNetwork.Update"/> takes it.</summary>
    public string ToXml() => ToElement().ToString(SaveOptions.DisableFormatting);

    internal XElement ToElement() => new("host",
        Mac is null ? null : new XAttribute("mac", Mac),
        Name is null ? null : new XAttribute("name", Name),
        new XAttribute("ip", Ip));
}

/// <summary>A host network interface (<c>&lt;interface&gt;</c> of the interface driver).</summary>
public sealed record HostInterface(string Name, string Type, string? Mac, IReadOnlyList<NetworkAddress> Addresses)
{
    public bool IsBridge => Type == "bridge";

    public static HostInterface Parse(string xml)
    {
        var root = XmlReading.Root(xml, "interface");
        var addresses = root.Elements("protocol").Elements("ip").Select(NetworkAddress.Parse).OfType<NetworkAddress>().ToList();
        return new HostInterface(root.Attr("name") ?? string.Empty, root.Attr("type") ?? string.Empty, root.Attr("mac", "address"), addresses);
    }
}

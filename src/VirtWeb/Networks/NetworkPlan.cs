using System.Net;
using System.Net.Sockets;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Networks;

/// <summary>
/// What an operator asks for in the create form. <see cref="Cidr"/> is the host's address on the network with its
/// prefix ("10.10.0.1/24"; "10.10.0.0/24" takes .1); <see cref="Bridge"/> is libvirt's new bridge for NAT, routed and
/// isolated networks (libvirt picks virbrN when empty), and the existing host bridge for a bridge network.
/// </summary>
public sealed record NetworkInput(
    string Name,
    NetworkMode Mode,
    string? Cidr = null,
    string? DhcpStart = null,
    string? DhcpEnd = null,
    string? Bridge = null,
    bool Autostart = true);

/// <summary>What the host already has that a new network must not collide with.</summary>
public sealed record HostNetworkFacts(
    IReadOnlyList<NetworkDefinition> Networks,
    IReadOnlyList<HostInterface> Interfaces,
    IReadOnlyList<HostAddress> Addresses);

/// <summary>An address the host itself holds, on <see cref="Device"/>.</summary>
public sealed record HostAddress(string Device, IPAddress Address, int Prefix)
{
    public override string ToString() => $"{Address}/{Prefix} on {Device}";
}

/// <summary>Turns <see cref="NetworkInput"/> into a definition, refusing anything libvirt would fail on later or that would break the host.</summary>
public static class NetworkPlan
{
    public static readonly IReadOnlyList<NetworkMode> CreatableModes = [NetworkMode.Nat, NetworkMode.Routed, NetworkMode.Isolated, NetworkMode.Bridge];

    public static NetworkDefinition Build(NetworkInput input, HostNetworkFacts host)
    {
        var name = NetworkNames.Require(input.Name);
        if (host.Networks.Any(n => n.Name == name))
        {
            throw new NetworkException($"This host already has a network named {name}; choose another name.", NetworkFailure.Conflict);
        }

        if (!CreatableModes.Contains(input.Mode))
        {
            throw new NetworkException($"VirtWeb creates NAT, routed, isolated and bridge networks, not {input.Mode}.");
        }

        var bridge = string.IsNullOrWhiteSpace(input.Bridge) ? null : NetworkNames.RequireBridge(input.Bridge.Trim());
        if (input.Mode == NetworkMode.Bridge)
        {
            return BridgeTo(name, bridge, host);
        }

        if (bridge is not null)
        {
            if (host.Interfaces.Any(i => i.Name == bridge) || host.Networks.Any(n => n.BridgeName == bridge))
            {
                throw new NetworkException($"The host already has an interface or network bridge named {bridge}; choose another name or leave it empty.", NetworkFailure.Conflict);
            }
        }

        var (gateway, prefix) = ParseCidr(input.Cidr);
        var subnet = new IPNetwork(NetworkAddress.Masked(gateway, prefix), prefix);
        RequireNoOverlap(subnet, host);
        var range = Range(input.DhcpStart, input.DhcpEnd, subnet, gateway, prefix);
        return new NetworkDefinition(name, null, input.Mode, null, null, bridge, [new NetworkAddress(gateway.ToString(), prefix, range, [])], []);
    }

    /// <summary>The gateway address and prefix of "a.b.c.d/n"; a network address takes its first host address.</summary>
    public static (IPAddress Gateway, int Prefix) ParseCidr(string? cidr)
    {
        const string example = "Write the network as address/prefix, for example 10.10.0.1/24.";
        if (string.IsNullOrWhiteSpace(cidr))
        {
            throw new NetworkException($"Give the network an address range. {example}");
        }

        var parts = cidr.Trim().Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || parts[0].Count(c => c == '.') != 3 || !int.TryParse(parts[1], out var prefix))
        {
            throw new NetworkException($"'{Shorten(cidr)}' is not an IPv4 network. {example}");
        }

        if (prefix is < 8 or > 30)
        {
            throw new NetworkException($"A /{prefix} network cannot be used: choose a prefix from /8 to /30 (a /24 has 254 addresses).");
        }

        var network = NetworkAddress.Masked(address, prefix);
        if (address.Equals(network))
        {
            address = Offset(network, 1);
        }
        else if (address.Equals(Broadcast(network, prefix)))
        {
            throw new NetworkException($"{address} is the broadcast address of {network}/{prefix}; the host needs another one, for example {Offset(network, 1)}/{prefix}.");
        }

        return (address, prefix);
    }

    /// <summary>The DHCP range: both ends or neither, inside the network, not the host's address.</summary>
    public static DhcpRange? Range(string? start, string? end, IPNetwork subnet, IPAddress gateway, int prefix)
    {
        if (string.IsNullOrWhiteSpace(start) && string.IsNullOrWhiteSpace(end))
        {
            return null;
        }

        var first = RangeEnd(start, "first", subnet);
        var last = RangeEnd(end, "last", subnet);
        if (Number(first) > Number(last))
        {
            throw new NetworkException($"The DHCP range starts at {first}, after its end {last}; swap them.");
        }

        var broadcast = Broadcast(subnet.BaseAddress, prefix);
        if (first.Equals(subnet.BaseAddress) || last.Equals(broadcast))
        {
            throw new NetworkException($"The DHCP range may not include the network address {subnet.BaseAddress} or the broadcast address {broadcast}.");
        }

        if (Number(first) <= Number(gateway) && Number(gateway) <= Number(last))
        {
            throw new NetworkException($"The DHCP range {first}–{last} includes the host's own address {gateway}; start it after it.");
        }

        return new DhcpRange(first.ToString(), last.ToString());
    }

    /// <summary>Refuses a subnet another network of the host or an address of the host itself already uses.</summary>
    public static void RequireNoOverlap(IPNetwork subnet, HostNetworkFacts host, string? except = null)
    {
        foreach (var other in host.Networks.Where(n => n.Name != except))
        {
            foreach (var address in other.Addresses.Where(a => !a.IsIPv6))
            {
                if (Overlap(subnet, address.Subnet))
                {
                    throw new NetworkException(
                        $"{subnet} overlaps network {other.Name} ({address.Subnet}) on this host; choose another range, for example {Suggest(host)}.",
                        NetworkFailure.Conflict);
                }
            }
        }

        foreach (var address in host.Addresses.Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork))
        {
            var theirs = new IPNetwork(NetworkAddress.Masked(address.Address, address.Prefix), address.Prefix);
            if (subnet.Contains(address.Address) || Overlap(subnet, theirs))
            {
                throw new NetworkException(
                    $"{subnet} overlaps the host's own address {address}; guests could not reach that LAN. Choose another range, for example {Suggest(host)}.",
                    NetworkFailure.Conflict);
            }
        }
    }

    /// <summary>A free /24 in 192.168.100–254, for messages and the form's default.</summary>
    public static string Suggest(HostNetworkFacts host)
    {
        for (var third = 100; third < 255; third++)
        {
            var candidate = new IPNetwork(IPAddress.Parse($"192.168.{third}.0"), 24);
            var taken = host.Networks.SelectMany(n => n.Addresses).Where(a => !a.IsIPv6).Any(a => Overlap(candidate, a.Subnet))
                || host.Addresses.Any(a => a.Address.AddressFamily == AddressFamily.InterNetwork
                    && Overlap(candidate, new IPNetwork(NetworkAddress.Masked(a.Address, a.Prefix), a.Prefix)));
            if (!taken)
            {
                return $"192.168.{third}.1/24";
            }
        }

        return "10.200.0.1/24";
    }

    public static bool Overlap(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    private static NetworkDefinition BridgeTo(string name, string? bridge, HostNetworkFacts host)
    {
        if (bridge is null)
        {
            throw new NetworkException("Name the host bridge the guests should plug into, for example br0.");
        }

        var known = host.Interfaces.FirstOrDefault(i => i.Name == bridge);
        if (known is null || !known.IsBridge)
        {
            var bridges = host.Interfaces.Where(i => i.IsBridge).Select(i => i.Name).Order(StringComparer.Ordinal).ToList();
            throw new NetworkException(known is null
                ? $"The host has no bridge named {bridge}. {(bridges.Count == 0 ? "It has no bridge at all; create one on the host first (for example with ip link add br0 type bridge)." : $"Its bridges: {string.Join(", ", bridges)}.")}"
                : $"{bridge} is a {known.Type} interface, not a bridge. {(bridges.Count == 0 ? "The host has no bridge." : $"Its bridges: {string.Join(", ", bridges)}.")}");
        }

        return new NetworkDefinition(name, null, NetworkMode.Bridge, "bridge", null, bridge, [], []);
    }

    private static IPAddress RangeEnd(string? text, string which, IPNetwork subnet)
    {
        if (string.IsNullOrWhiteSpace(text) || !IPAddress.TryParse(text.Trim(), out var address)
            || address.AddressFamily != AddressFamily.InterNetwork || text.Trim().Count(c => c == '.') != 3)
        {
            throw new NetworkException($"The {which} address of the DHCP range ('{Shorten(text ?? "")}') is not an IPv4 address; give both ends, for example {Offset(subnet.BaseAddress, 100)}.");
        }

        if (!subnet.Contains(address))
        {
            throw new NetworkException($"The DHCP range's {which} address {address} is outside the network {subnet}; pick addresses inside it.");
        }

        return address;
    }

    private static uint Number(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
    }

    private static IPAddress FromNumber(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    private static IPAddress Offset(IPAddress network, uint offset) => FromNumber(Number(network) + offset);

    private static IPAddress Broadcast(IPAddress network, int prefix) => FromNumber(Number(network) | (uint.MaxValue >> prefix));

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text.Replace("\0", "\\0", StringComparison.Ordinal);
}

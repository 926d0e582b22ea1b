using System.Net;
using System.Security.Claims;
using VirtWeb.Access;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Networks;

/// <summary>
/// Virtual networks: create (NAT, routed, isolated, bridge to a host bridge), start, stop, autostart, delete, the DHCP
/// range and static host entries. Administrators of the host manage networks (a grant on
/// <c>/hosts/{h}/networks/{n}</c> gives or takes it for one network); creating one is checked on the host. Every
/// attempt is audited under the network's path.
/// </summary>
public sealed class NetworkService(NetworkOperations operations, AccessControl access)
{
    public Task<string> CreateAsync(ClaimsPrincipal user, Guid hostId, NetworkInput input) =>
        operations.RunAsync(user, hostId, "network.create", AccessPaths.Network(hostId, Clean(input.Name)), AccessPaths.Host(hostId), Permission.ManageHosts,
            "create networks", connection =>
            {
                var definition = NetworkPlan.Build(input, NetworkOperations.ReadFacts(connection));
                using var network = Define(connection, definition);
                try
                {
                    network.Start();
                    network.Autostart = input.Autostart;
                }
                catch
                {
                    // Nothing half-made: a network that cannot start is not left defined.
                    StopAndUndefineQuietly(network);
                    throw;
                }

                return $"Created {Describe(definition)}{(input.Autostart ? ", autostart on" : "")}.";
            });

    public Task<string> StartAsync(ClaimsPrincipal user, Guid hostId, string networkName) =>
        OnNetworkAsync(user, hostId, networkName, "network.start", "start networks", (_, network) =>
        {
            if (network.IsActive)
            {
                return $"{networkName} was already running.";
            }

            network.Start();
            return $"Started {networkName}.";
        });

    public Task<string> StopAsync(ClaimsPrincipal user, Guid hostId, string networkName) =>
        OnNetworkAsync(user, hostId, networkName, "network.stop", "stop networks", (connection, network) =>
        {
            var (running, _) = NetworkOperations.GuestsOn(hostId, connection, networkName);
            if (running.Count > 0)
            {
                throw new NetworkException(
                    $"Cannot stop {networkName}: running guest{(running.Count == 1 ? "" : "s")} {NetworkOperations.Names(running)} use{(running.Count == 1 ? "s" : "")} it. Shut {(running.Count == 1 ? "it" : "them")} down or move {(running.Count == 1 ? "its card" : "their cards")} to another network first.",
                    NetworkFailure.Conflict);
            }

            network.Stop();
            return $"Stopped {networkName}.";
        });

    public Task<string> SetAutostartAsync(ClaimsPrincipal user, Guid hostId, string networkName, bool autostart) =>
        OnNetworkAsync(user, hostId, networkName, "network.autostart", "change networks", (_, network) =>
        {
            if (!network.IsPersistent)
            {
                throw new NetworkException($"{networkName} is transient (it vanishes when stopped), so it cannot start with the host.", NetworkFailure.Conflict);
            }

            network.Autostart = autostart;
            return $"Autostart of {networkName} {(autostart ? "on" : "off")}.";
        });

    /// <summary>Stops and forgets a network no guest uses; a guest still defined on it is named, as a running one is.</summary>
    public Task<string> DeleteAsync(ClaimsPrincipal user, Guid hostId, string networkName) =>
        OnNetworkAsync(user, hostId, networkName, "network.delete", "delete networks", (connection, network) =>
        {
            var (running, defined) = NetworkOperations.GuestsOn(hostId, connection, networkName);
            if (running.Count > 0 || defined.Count > 0)
            {
                var users = running.Select(g => $"{g} (running)").Concat(defined).ToList();
                throw new NetworkException(
                    $"Cannot delete {networkName}: guest{(users.Count == 1 ? "" : "s")} {NetworkOperations.Names(users)} {(users.Count == 1 ? "has a card" : "have cards")} on it. Move or remove those cards first.",
                    NetworkFailure.Conflict);
            }

            StopAndUndefine(network);
            return $"Deleted {networkName}.";
        });

    /// <summary>Replaces the DHCP range of the network's IPv4 address, live and in the definition, without a restart.</summary>
    public Task<string> SetDhcpRangeAsync(ClaimsPrincipal user, Guid hostId, string networkName, string start, string end) =>
        OnNetworkAsync(user, hostId, networkName, "network.dhcp.range", "change networks", (_, network) =>
        {
            var address = Ipv4(network, networkName);
            var range = NetworkPlan.Range(start, end, address.Subnet, IPAddress.Parse(address.Address), address.Prefix)
                ?? throw new NetworkException("Give both ends of the DHCP range.");
            var outside = address.Hosts.Where(h => !Inside(h.Ip, range)).ToList();
            var flags = UpdateFlags(network);
            if (address.Range is { } old)
            {
                // libvirt cannot modify a range in place: delete it and add the new one, putting the old back on failure.
                network.Update(NetworkUpdateCommand.Delete, NetworkUpdateSection.IpDhcpRange, old.ToXml(), flags);
                try
                {
                    network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpRange, range.ToXml(), flags);
                }
                catch (LibvirtException)
                {
                    network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpRange, old.ToXml(), flags);
                    throw;
                }

                return $"DHCP range of {networkName}: {old.Start}–{old.End} → {range.Start}–{range.End}{(outside.Count > 0 ? $" ({outside.Count} static entries lie outside it and keep their addresses)" : "")}.";
            }

            network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpRange, range.ToXml(), flags);
            return $"DHCP range of {networkName}: {range.Start}–{range.End}.";
        });

    /// <summary>Adds a static DHCP entry: the card with <paramref name="mac"/> always gets <paramref name="ip"/>.</summary>
    public Task<string> AddDhcpHostAsync(ClaimsPrincipal user, Guid hostId, string networkName, string mac, string ip, string? hostName) =>
        OnNetworkAsync(user, hostId, networkName, "network.dhcp.host.add", "change networks", (_, network) =>
        {
            var address = Ipv4(network, networkName);
            var entry = new DhcpHost(
                MacAddresses.Require(mac),
                RequireInside(ip, address),
                string.IsNullOrWhiteSpace(hostName) ? null : NetworkNames.Require(hostName.Trim(), "host"));
            if (address.Hosts.FirstOrDefault(h => string.Equals(h.Mac, entry.Mac, StringComparison.OrdinalIgnoreCase) || h.Ip == entry.Ip) is { } taken)
            {
                throw new NetworkException($"{networkName} already has a static entry {taken.Mac} → {taken.Ip}; remove it first.", NetworkFailure.Conflict);
            }

            network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpHost, entry.ToXml(), UpdateFlags(network));
            return $"{networkName}: {entry.Mac} always gets {entry.Ip}{(entry.Name is null ? "" : $" ({entry.Name})")}.";
        });

    public Task<string> RemoveDhcpHostAsync(ClaimsPrincipal user, Guid hostId, string networkName, string mac) =>
        OnNetworkAsync(user, hostId, networkName, "network.dhcp.host.remove", "change networks", (_, network) =>
        {
            var address = Ipv4(network, networkName);
            var wanted = MacAddresses.Require(mac);
            var entry = address.Hosts.FirstOrDefault(h => string.Equals(h.Mac, wanted, StringComparison.OrdinalIgnoreCase))
                ?? throw new NetworkException($"{networkName} has no static entry for {wanted}.", NetworkFailure.NotFound);
            network.Update(NetworkUpdateCommand.Delete, NetworkUpdateSection.IpDhcpHost, entry.ToXml(), UpdateFlags(network));
            return $"{networkName}: removed the static entry {entry.Mac} → {entry.Ip}.";
        });

    /// <summary>The host's bridges (for a guest card plugged into one directly); whoever may see the host may list them.</summary>
    public async Task<IReadOnlyList<string>> ListHostBridgesAsync(ClaimsPrincipal user, Guid hostId)
    {
        await access.RequireAsync(user, Permission.View, "host.bridges.read", AccessPaths.Host(hostId), "see this host");
        var connection = operations.Connection(hostId);
        return await Task.Run(() => NetworkOperations.ReadFacts(connection).Interfaces.Where(i => i.IsBridge).Select(i => i.Name).Order(StringComparer.Ordinal).ToList());
    }

    private Task<string> OnNetworkAsync(
        ClaimsPrincipal user, Guid hostId, string networkName, string action, string what, Func<LibvirtConnection, LibvirtNetwork, string> act)
    {
        var target = AccessPaths.Network(hostId, Clean(networkName));
        return operations.RunAsync(user, hostId, action, target, target, Permission.ManageHosts, what, connection =>
        {
            using var network = NetworkOperations.Find(connection, networkName);
            return act(connection, network);
        });
    }

    private static LibvirtNetwork Define(LibvirtConnection connection, NetworkDefinition definition)
    {
        try
        {
            return connection.DefineNetwork(definition.Build());
        }
        catch (LibvirtException e) when (e.Code is LibvirtErrorCode.NetworkExist or LibvirtErrorCode.OperationFailed)
        {
            throw new NetworkException($"libvirt refused the network {definition.Name}: {e.Message.Trim()}", NetworkFailure.Conflict);
        }
    }

    // A path segment for the audit target even when the name itself is refused (the refusal is audited too).
    private static string Clean(string? name) => NetworkNames.Problem(name) is null ? name! : "(invalid name)";

    private static string Describe(NetworkDefinition definition) => definition.Mode switch
    {
        NetworkMode.Bridge => $"bridge network {definition.Name} on host bridge {definition.BridgeName}",
        _ => $"{NetworkModes.Title(definition.Mode).ToLowerInvariant()} network {definition.Name} ({definition.Addresses[0].Address}/{definition.Addresses[0].Prefix}" +
             $"{(definition.Addresses[0].Range is { } r ? $", DHCP {r.Start}–{r.End}" : ", no DHCP")})",
    };

    private static NetworkAddress Ipv4(LibvirtNetwork network, string name) =>
        network.GetDefinition().Addresses.FirstOrDefault(a => !a.IsIPv6)
        ?? throw new NetworkException($"{name} has no IPv4 address of its own (a bridge or direct network: the LAN's DHCP server hands out addresses there).", NetworkFailure.Conflict);

    private static string RequireInside(string? ip, NetworkAddress address)
    {
        if (string.IsNullOrWhiteSpace(ip) || !IPAddress.TryParse(ip.Trim(), out var parsed) || parsed.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || ip.Trim().Count(c => c == '.') != 3)
        {
            throw new NetworkException($"'{ip}' is not an IPv4 address; give one inside {address.Subnet}.");
        }

        if (!address.Subnet.Contains(parsed) || parsed.ToString() == address.Address)
        {
            throw new NetworkException($"{parsed} is {(parsed.ToString() == address.Address ? "the host's own address" : "outside the network")} {address.Subnet}; pick another address inside it.");
        }

        return parsed.ToString();
    }

    private static bool Inside(string ip, DhcpRange range) =>
        IPAddress.TryParse(ip, out var a) && IPAddress.TryParse(range.Start, out var s) && IPAddress.TryParse(range.End, out var e)
        && Compare(s, a) <= 0 && Compare(a, e) <= 0;

    private static int Compare(IPAddress a, IPAddress b) => a.GetAddressBytes().AsSpan().SequenceCompareTo(b.GetAddressBytes());

    // Persistent and running: both, so the change holds now and after a restart; otherwise whichever the network has.
    private static NetworkUpdateFlags UpdateFlags(LibvirtNetwork network) =>
        network.IsPersistent && network.IsActive ? NetworkUpdateFlags.Live | NetworkUpdateFlags.Config : NetworkUpdateFlags.Current;

    private static void StopAndUndefine(LibvirtNetwork network)
    {
        if (network.IsActive)
        {
            network.Stop();
        }

        if (network.IsPersistent)
        {
            network.Undefine();
        }
    }

    private static void StopAndUndefineQuietly(LibvirtNetwork network)
    {
        try
        {
            StopAndUndefine(network);
        }
        catch (LibvirtException)
        {
            // Gone already.
        }
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Security.Claims;
using VirtWeb.Access;
using VirtWeb.Data;
using VirtWeb.Hosts;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Live;

namespace VirtWeb.Networks;

/// <summary>
/// What the network services share: the role check, one change at a time per host (two creates cannot both pass the
/// overlap check), the audit row for every attempt, libvirt's errors in words, and the re-read afterwards. Public only
/// so the container can hand the one instance to the services; its members are internal.
/// </summary>
public sealed class NetworkOperations(
    IHostConnections hostConnections, NetworkWatcher watcher, LiveStateStore store, AuditLog audit, AccessControl access)
{
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _hostLocks = new();

    internal LiveStateStore Store => store;

    internal NetworkWatcher Watcher => watcher;

    /// <summary>
    /// Checks <paramref name="needs"/> on <paramref name="checkedOn"/>, runs <paramref name="act"/> on the host's
    /// connection under the host's lock, audits under <paramref name="target"/> and re-reads the host's networks.
    /// <paramref name="act"/> returns what the audit row and the user are told.
    /// </summary>
    internal async Task<string> RunAsync(
        ClaimsPrincipal user, Guid hostId, string action, string target, string checkedOn, Permission needs, string what,
        Func<LibvirtConnection, string> act)
    {
        await access.RequireAsync(user, needs, action, checkedOn, what);
        var gate = _hostLocks.GetOrAdd(hostId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        LibvirtConnection? connection = null;
        try
        {
            return await audit.RunAsync(user, action, target, () => act(connection = Connection(hostId)), Translate, done => done);
        }
        finally
        {
            gate.Release();
            if (connection is not null)
            {
                await watcher.RefreshHostAsync(watcher.HostOf(hostId, connection));
            }
        }
    }

    internal LibvirtConnection Connection(Guid hostId) =>
        hostConnections.ConnectionOr(hostId, message => new NetworkException(message, NetworkFailure.NotFound));

    internal static LibvirtNetwork Find(LibvirtConnection connection, string name)
    {
        NetworkNames.Require(name);
        try
        {
            return connection.GetNetworkByName(name);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoNetwork)
        {
            throw new NetworkException($"The network {name} no longer exists on this host; someone removed it.", NetworkFailure.NotFound);
        }
    }

    /// <summary>The host's networks, interfaces and own addresses, read now.</summary>
    internal static HostNetworkFacts ReadFacts(LibvirtConnection connection)
    {
        var networks = new List<NetworkDefinition>();
        foreach (var network in connection.ListNetworks())
        {
            using (network)
            {
                networks.Add(network.GetDefinition());
            }
        }

        IReadOnlyList<HostInterface> interfaces;
        try
        {
            interfaces = connection.ListHostInterfaces();
        }
        catch (LibvirtException e) when (e.Code is LibvirtErrorCode.NoSupport or LibvirtErrorCode.NoConnect)
        {
            interfaces = [];
        }

        var addresses = interfaces.SelectMany(i => i.Addresses.Select(a => new HostAddress(i.Name, IPAddress.Parse(a.Address), a.Prefix))).ToList();
        if (MachineIds.MachineIdCollector.IsLocal(connection.Uri))
        {
            // libvirt's udev interface backend reports no addresses; where libvirtd runs here, ask this machine.
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    if (!IPAddress.IsLoopback(unicast.Address) && !networks.Any(n => n.BridgeName == nic.Name))
                    {
                        addresses.Add(new HostAddress(nic.Name, unicast.Address, unicast.PrefixLength));
                    }
                }
            }
        }

        return new HostNetworkFacts(networks, interfaces, addresses);
    }

    /// <summary>The guests whose cards are on <paramref name="network"/>, running ones first.</summary>
    internal static (List<string> Running, List<string> Defined) GuestsOn(Guid hostId, LibvirtConnection connection, string network)
    {
        var nics = NetworkReader.ReadAllNics(hostId, connection).Where(n => n.Network == network).ToList();
        var running = nics.Where(n => n.GuestRunning).Select(n => n.GuestName).Distinct().Order(StringComparer.Ordinal).ToList();
        var defined = nics.Where(n => !n.GuestRunning).Select(n => n.GuestName).Distinct().Order(StringComparer.Ordinal).ToList();
        return (running, defined);
    }

    internal static NetworkException Translate(LibvirtException e) => e.Code switch
    {
        LibvirtErrorCode.NoNetwork => new NetworkException("The network no longer exists on this host; someone removed it.", NetworkFailure.NotFound),
        LibvirtErrorCode.NetworkExist => new NetworkException($"libvirt refused: {e.Message.Trim()}", NetworkFailure.Conflict),
        _ => new NetworkException($"libvirt refused: {e.Message.Trim()}", NetworkFailure.Conflict),
    };

    internal static string Names(IReadOnlyList<string> names) => Images.ImageOperations.Names(names);
}

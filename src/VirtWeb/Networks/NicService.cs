using System.Security.Claims;
using System.Xml.Linq;
using VirtWeb.Access;
using VirtWeb.Guests;
using VirtWeb.Hosts;
using VirtWeb.Libvirt;

namespace VirtWeb.Networks;

/// <summary>What the attach form asks: the network, the card model, and a MAC (generated when empty).</summary>
public sealed record NicInput(string Network, string Model = "virtio", string? Mac = null);

/// <summary>
/// A guest's network cards: attach, detach, move to another network, link up or down, on the running guest and in its
/// definition alike. Operators of the guest do this (<see cref="Permission.ManageGuests"/>); every action runs under the
/// guest's <see cref="GuestActionLock"/>, which audits it under the guest's path. A MAC must be unique on the host.
/// VirtWeb writes each card's XML itself from checked fields (a libvirt network, a model from <see cref="Models"/>, a
/// unicast MAC), so nothing a user types reaches the definition unchecked.
/// </summary>
public sealed class NicService(GuestActionLock actions, AccessControl access, NetworkWatcher watcher, IHostConnections hostConnections)
{
    public static readonly IReadOnlyList<string> Models = ["virtio", "e1000"];

    public Task<GuestActionResult> AttachNicAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, NicInput input, CancellationToken cancellationToken = default) =>
        RunAsync(caller, hostId, uuid, "Attach a network card", "guest.nic.attach", "attach network cards", (host, domain) =>
        {
            if (!Models.Contains(input.Model))
            {
                throw new GuestActionException($"'{input.Model}' is not a card model VirtWeb offers; choose {string.Join(" or ", Models)}.");
            }

            var running = domain.IsActive;
            RequireNetwork(host.Connection, input.Network, running);
            var taken = MacsOnHost(host.Connection);
            string mac;
            if (string.IsNullOrWhiteSpace(input.Mac))
            {
                mac = MacAddresses.Generate(taken);
            }
            else
            {
                mac = Checked(() => MacAddresses.Require(input.Mac));
                if (taken.Contains(mac))
                {
                    throw new GuestActionException($"The MAC {mac} is already used by a card on this host; leave it empty for a new one, or pick another.");
                }
            }

            var nic = new XElement("interface", new XAttribute("type", "network"),
                new XElement("mac", new XAttribute("address", mac)),
                new XElement("source", new XAttribute("network", input.Network)),
                new XElement("model", new XAttribute("type", input.Model)));
            domain.AttachDevice(nic.ToString(SaveOptions.DisableFormatting), Flags(domain, running));
            return $"Attached a {input.Model} card {mac} on {input.Network}{(running ? ", live and in the definition" : "")}.";
        }, cancellationToken);

    public Task<GuestActionResult> DetachNicAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, string mac, CancellationToken cancellationToken = default) =>
        RunAsync(caller, hostId, uuid, "Detach a network card", "guest.nic.detach", "detach network cards", (_, domain) =>
        {
            var wanted = Checked(() => MacAddresses.Require(mac));
            ForEachCopy(domain, wanted, (nic, flags) => domain.DetachDevice(nic.ToString(SaveOptions.DisableFormatting), flags));
            return $"Detached the card {wanted}.";
        }, cancellationToken);

    public Task<GuestActionResult> SetNicNetworkAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, string mac, string networkName, CancellationToken cancellationToken = default) =>
        RunAsync(caller, hostId, uuid, "Move a network card", "guest.nic.network", "change network cards", (host, domain) =>
        {
            var wanted = Checked(() => MacAddresses.Require(mac));
            RequireNetwork(host.Connection, networkName, domain.IsActive);
            ForEachCopy(domain, wanted, (nic, flags) =>
            {
                nic.SetAttributeValue("type", "network");
                nic.Element("source")?.Remove();
                nic.Add(new XElement("source", new XAttribute("network", networkName)));
                // The old network's port and bridge belong to the old network; libvirt assigns new ones.
                nic.Element("target")?.Remove();
                domain.UpdateDevice(nic.ToString(SaveOptions.DisableFormatting), flags);
            });
            return $"Moved the card {wanted} to {networkName}.";
        }, cancellationToken);

    public Task<GuestActionResult> SetNicLinkAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, string mac, bool up, CancellationToken cancellationToken = default) =>
        RunAsync(caller, hostId, uuid, up ? "Link up" : "Link down", "guest.nic.link", "change network cards", (_, domain) =>
        {
            var wanted = Checked(() => MacAddresses.Require(mac));
            ForEachCopy(domain, wanted, (nic, flags) =>
            {
                nic.Element("link")?.Remove();
                nic.Add(new XElement("link", new XAttribute("state", up ? "up" : "down")));
                domain.UpdateDevice(nic.ToString(SaveOptions.DisableFormatting), flags);
            });
            return $"The card {wanted} is {(up ? "connected" : "disconnected (link down)")}.";
        }, cancellationToken);

    private async Task<GuestActionResult> RunAsync(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string title, string auditAction, string what,
        Func<WatchedHost, LibvirtDomain, string> act, CancellationToken cancellationToken)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, auditAction, AccessPaths.Guest(hostId, uuid), what);
        var result = await actions.RunAsync(caller, hostId, uuid, title, auditAction, act, cancellationToken);
        await watcher.RefreshGuestAsync(new WatchedHost(hostId, "", hostConnections.GetConnection(hostId)), uuid);
        return result;
    }

    private static void RequireNetwork(LibvirtConnection connection, string? name, bool mustRun)
    {
        var problem = NetworkNames.Problem(name);
        if (problem is not null)
        {
            throw new GuestActionException(problem);
        }

        try
        {
            using var network = connection.GetNetworkByName(name!);
            if (mustRun && !network.IsActive)
            {
                throw new GuestActionException($"The network {name} is not running, so a running guest cannot be plugged into it; start it on the Networks page first.");
            }
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoNetwork)
        {
            throw new GuestActionException($"This host has no network named {name}; pick one from the list.");
        }
    }

    /// <summary>Every MAC on the host: running cards and those of every definition.</summary>
    private static HashSet<string> MacsOnHost(LibvirtConnection connection)
    {
        var macs = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var domain in connection.ListDomains())
        {
            using (domain)
            {
                foreach (var xml in Definitions(domain))
                {
                    macs.UnionWith(NetworkReader.Interfaces(xml).Select(NetworkReader.Mac).OfType<string>());
                }
            }
        }

        return macs;
    }

    /// <summary>
    /// Runs <paramref name="change"/> on the running card (Live) and on the definition's card (Config), each from its own
    /// XML, since the two may differ (a card attached live only).
    /// </summary>
    private static void ForEachCopy(LibvirtDomain domain, string mac, Action<XElement, DomainDeviceModifyFlags> change)
    {
        var copies = new List<(XElement Nic, DomainDeviceModifyFlags Flags)>();
        if (domain.IsActive && Find(domain.GetXml(), mac) is { } live)
        {
            copies.Add((live, DomainDeviceModifyFlags.Live));
        }

        if (domain.IsPersistent && Find(domain.GetXml(DomainXmlFlags.Inactive), mac) is { } config)
        {
            copies.Add((config, DomainDeviceModifyFlags.Config));
        }

        if (copies.Count == 0)
        {
            throw new GuestActionException($"{domain.Name} has no card with MAC {mac}; someone removed it.");
        }

        foreach (var (nic, flags) in copies)
        {
            change(nic, flags);
        }
    }

    private static XElement? Find(string xml, string mac) =>
        NetworkReader.Interfaces(xml).FirstOrDefault(n => NetworkReader.Mac(n) == mac);

    private static IEnumerable<string> Definitions(LibvirtDomain domain)
    {
        yield return domain.GetXml();
        if (domain.IsActive && domain.IsPersistent)
        {
            yield return domain.GetXml(DomainXmlFlags.Inactive);
        }
    }

    private static DomainDeviceModifyFlags Flags(LibvirtDomain domain, bool running) => running
        ? DomainDeviceModifyFlags.Live | (domain.IsPersistent ? DomainDeviceModifyFlags.Config : 0)
        : DomainDeviceModifyFlags.Config;

    private static string Checked(Func<string> check)
    {
        try
        {
            return check();
        }
        catch (NetworkException e)
        {
            throw new GuestActionException(e.Message, e);
        }
    }
}

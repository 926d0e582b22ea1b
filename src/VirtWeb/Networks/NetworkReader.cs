using System.Xml.Linq;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Networks;

/// <summary>Reads networks and guests' network cards from libvirt into live records.</summary>
public static class NetworkReader
{
    public static NetworkState ReadNetwork(Guid hostId, string hostName, LibvirtNetwork network)
    {
        var definition = network.GetDefinition();
        return new NetworkState(
            hostId, hostName, network.Uuid, network.Name, definition.Mode, definition.ForwardMode,
            definition.ForwardDevice ?? definition.DirectDevices.FirstOrDefault(), definition.BridgeName,
            network.IsActive, network.IsPersistent && network.Autostart, network.IsPersistent, definition.Addresses);
    }

    /// <summary>The cards of one guest: the running ones where it runs, else those of its definition.</summary>
    public static IReadOnlyList<GuestNicState> ReadNics(Guid hostId, LibvirtDomain domain)
    {
        var running = domain.IsActive;
        return NicsOf(hostId, domain.Uuid, running, domain.GetDefinition());
    }

    /// <summary>The cards <paramref name="definition"/> (the live XML of a running guest) describes.</summary>
    public static IReadOnlyList<GuestNicState> NicsOf(Guid hostId, Guid uuid, bool running, DomainDefinition definition) =>
        definition.Interfaces
            .Where(nic => !string.IsNullOrEmpty(nic.MacAddress))
            .Select(nic => new GuestNicState(
                hostId, uuid, definition.Name, running,
                nic.MacAddress!.ToLowerInvariant(),
                nic.Type,
                nic.SourceNetwork,
                nic.SourceBridge,
                nic.Model,
                nic.LinkState != "down",
                nic.TargetDev))
            .ToList();

    /// <summary>Every card of every guest on the host (one XML read per guest).</summary>
    public static List<GuestNicState> ReadAllNics(Guid hostId, LibvirtConnection connection)
    {
        var nics = new List<GuestNicState>();
        foreach (var domain in connection.ListDomains())
        {
            using (domain)
            {
                try
                {
                    nics.AddRange(ReadNics(hostId, domain));
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                {
                    // Undefined while we listed: rightly left out.
                }
            }
        }

        return nics;
    }

    internal static IEnumerable<XElement> Interfaces(string domainXml) =>
        XDocument.Parse(domainXml).Root?.Element("devices")?.Elements("interface") ?? [];

    internal static string? Mac(XElement nic) => nic.Element("mac")?.Attribute("address")?.Value.ToLowerInvariant();
}

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
        return ParseNics(hostId, domain.Uuid, domain.Name, running, domain.GetXml());
    }

    public static IReadOnlyList<GuestNicState> ParseNics(Guid hostId, Guid uuid, string name, bool running, string xml) =>
        Interfaces(xml)
            .Select(nic => new GuestNicState(
                hostId, uuid, name, running,
                Mac(nic) ?? "",
                nic.Attribute("type")?.Value ?? "",
                nic.Element("source")?.Attribute("network")?.Value,
                nic.Element("source")?.Attribute("bridge")?.Value,
                nic.Element("model")?.Attribute("type")?.Value,
                nic.Element("link")?.Attribute("state")?.Value != "down",
                nic.Element("target")?.Attribute("dev")?.Value))
            .Where(n => n.Mac.Length > 0)
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

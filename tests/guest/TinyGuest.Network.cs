using System.Xml.Linq;

namespace VirtWeb.TestGuest;

internal sealed partial class TinyGuest
{
    /// <summary>The domain XML with its card on libvirt network <paramref name="network"/> instead of user-mode networking.</summary>
    public static string OnNetwork(string domainXml, string network, string? mac)
    {
        var domain = XElement.Parse(domainXml);
        var nic = domain.Element("devices")!.Element("interface")!;
        nic.ReplaceWith(new XElement("interface", new XAttribute("type", "network"),
            mac is null ? null : new XElement("mac", new XAttribute("address", mac)),
            new XElement("source", new XAttribute("network", network)),
            new XElement("model", new XAttribute("type", "virtio"))));
        return domain.ToString();
    }
}

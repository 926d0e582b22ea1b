namespace VirtWeb.Libvirt.Xml;

/// <summary>A serial port or console of a domain; <see cref="Alias"/> is what virDomainOpenConsole takes (live XML only).</summary>
public sealed record DomainCharDevice(string Element, string Type, string? TargetType, int? Port, string? Alias);

/// <summary>The text consoles a domain offers: its <c>&lt;serial&gt;</c> and <c>&lt;console&gt;</c> devices.</summary>
public static class ConsoleDevices
{
    public static IReadOnlyList<DomainCharDevice> Parse(string xml)
    {
        var devices = XmlReading.Root(xml, "domain").Element("devices");
        if (devices is null)
        {
            return [];
        }
        return devices.Elements()
            .Where(e => e.Name.LocalName is "serial" or "console")
            .Select(e => new DomainCharDevice(
                e.Name.LocalName,
                e.Attr("type") ?? string.Empty,
                e.Attr("target", "type"),
                XmlReading.Int(e.Attr("target", "port")),
                e.Attr("alias", "name")))
            .ToArray();
    }
}

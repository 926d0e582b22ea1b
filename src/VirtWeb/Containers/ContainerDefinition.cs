using System.Xml.Linq;

namespace VirtWeb.Containers;

/// <summary>
/// The libvirt LXC definition VirtWeb writes for a container. It is built from checked input only: the definition
/// policy refuses <c>&lt;init&gt;</c> and <c>&lt;filesystem&gt;</c> in XML a user writes, and this is the one place
/// that makes them, with the paths <see cref="ContainerCreationService"/> has checked.
/// </summary>
public static class ContainerDefinition
{
    public const int MinMemoryMiB = 16;

    public static string Xml(string name, int memoryMiB, string init, string? rootDirectory, string? network)
    {
        // An application container sees the host's own files, read-only: its command comes from there, and it
        // cannot change the host. A system container's root is its own directory.
        var root = new XElement("filesystem", new XAttribute("type", "mount"), new XAttribute("accessmode", "passthrough"),
            new XElement("source", new XAttribute("dir", rootDirectory ?? "/")),
            new XElement("target", new XAttribute("dir", "/")),
            rootDirectory is null ? new XElement("readonly") : null);
        var devices = new XElement("devices",
            root,
            network is null ? null : new XElement("interface", new XAttribute("type", "network"),
                new XElement("source", new XAttribute("network", network))),
            new XElement("console", new XAttribute("type", "pty")));
        var domain = new XElement("domain", new XAttribute("type", "lxc"),
            new XElement("name", name),
            new XElement("memory", new XAttribute("unit", "MiB"), memoryMiB),
            new XElement("vcpu", 1),
            new XElement("os", new XElement("type", "exe"), new XElement("init", init)),
            new XElement("on_poweroff", "destroy"),
            new XElement("on_reboot", "restart"),
            new XElement("on_crash", "destroy"),
            devices);
        return domain.ToString(SaveOptions.DisableFormatting);
    }
}

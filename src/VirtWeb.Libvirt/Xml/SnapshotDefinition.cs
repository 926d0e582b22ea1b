using System.Xml.Linq;

namespace VirtWeb.Libvirt.Xml;

/// <summary>One disk of a snapshot: <see cref="Snapshot"/> is internal, external (an overlay file) or no.</summary>
public sealed record SnapshotDisk(string Name, string? Snapshot, string? DriverType, string? SourceFile);

/// <summary>
/// A parsed <c>&lt;domainsnapshot&gt;</c>. <see cref="State"/> is the domain's state when it was taken (running,
/// paused, shutoff, disk-snapshot); <see cref="Memory"/> says where the memory went (internal, external, no).
/// </summary>
public sealed record SnapshotDefinition(
    string Name,
    string? Description,
    string? State,
    string? Parent,
    DateTimeOffset? CreationTime,
    string? Memory,
    string? MemoryFile,
    IReadOnlyList<SnapshotDisk> Disks,
    string? DomainXml)
{
    public bool HasMemory => Memory is "internal" or "external" || (Memory is null && State is "running" or "paused");

    /// <summary>Any disk kept in an overlay file rather than inside its qcow2.</summary>
    public bool IsExternal => Memory == "external" || Disks.Any(d => d.Snapshot == "external");

    public static SnapshotDefinition Parse(string xml)
    {
        var root = XmlReading.Root(xml, "domainsnapshot");
        var memory = root.Element("memory");
        var domain = root.Element("domain");
        return new SnapshotDefinition(
            root.Text("name") ?? string.Empty,
            root.Text("description"),
            root.Text("state"),
            root.Element("parent").Text("name"),
            long.TryParse(root.Text("creationTime"), out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null,
            memory.Attr("snapshot"),
            memory.Attr("file"),
            root.Element("disks")?.Elements("disk").Select(d => new SnapshotDisk(
                d.Attr("name") ?? string.Empty,
                d.Attr("snapshot"),
                d.Attr("driver", "type"),
                d.Attr("source", "file"))).ToArray() ?? [],
            domain?.ToString());
    }

    /// <summary>
    /// The XML to create a snapshot: <paramref name="memory"/> internal or no (disk-only); each disk internal,
    /// external with its overlay file, or no. Values are set as text and attributes, so a name can never add markup.
    /// </summary>
    public static string Build(string name, string? description, string? memory, IEnumerable<SnapshotDisk> disks)
    {
        var root = new XElement("domainsnapshot", new XElement("name", name));
        if (!string.IsNullOrWhiteSpace(description))
        {
            root.Add(new XElement("description", description));
        }
        if (memory is not null)
        {
            root.Add(new XElement("memory", new XAttribute("snapshot", memory)));
        }
        var disksElement = new XElement("disks");
        foreach (var disk in disks)
        {
            var element = new XElement("disk", new XAttribute("name", disk.Name), new XAttribute("snapshot", disk.Snapshot ?? "no"));
            if (disk.Snapshot == "external")
            {
                element.Add(new XElement("driver", new XAttribute("type", disk.DriverType ?? "qcow2")));
                if (disk.SourceFile is not null)
                {
                    element.Add(new XElement("source", new XAttribute("file", disk.SourceFile)));
                }
            }
            disksElement.Add(element);
        }
        if (disksElement.HasElements)
        {
            root.Add(disksElement);
        }
        return root.ToString(SaveOptions.DisableFormatting);
    }
}

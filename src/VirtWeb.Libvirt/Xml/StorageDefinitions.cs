using System.Xml.Linq;

namespace VirtWeb.Libvirt.Xml;

/// <summary>A parsed <c>&lt;pool&gt;</c>; sizes in bytes.</summary>
public sealed record StoragePoolDefinition(
    string Type, string Name, Guid? Uuid, ulong? CapacityBytes, ulong? AllocationBytes, ulong? AvailableBytes, string? TargetPath)
{
    public static StoragePoolDefinition Parse(string xml)
    {
        var root = XmlReading.Root(xml, "pool");
        return new StoragePoolDefinition(
            root.Attr("type") ?? string.Empty,
            root.Text("name") ?? string.Empty,
            XmlReading.Uuid(root.Text("uuid")),
            root.Bytes("capacity"),
            root.Bytes("allocation"),
            root.Bytes("available"),
            root.Element("target").Text("path"));
    }
}

/// <summary>
/// A parsed <c>&lt;volume&gt;</c>; sizes in bytes. Capacity is the virtual size, allocation what the host
/// spends on it, physical the file size. A qcow2 overlay names its backing file in <see cref="BackingStorePath"/>.
/// </summary>
public sealed record StorageVolumeDefinition(
    string Type, string Name, string? Key, ulong? CapacityBytes, ulong? AllocationBytes, ulong? PhysicalBytes,
    string? TargetPath, string? TargetFormat, string? BackingStorePath, string? BackingStoreFormat)
{
    public static StorageVolumeDefinition Parse(string xml)
    {
        var root = XmlReading.Root(xml, "volume");
        var target = root.Element("target");
        var backing = root.Element("backingStore");
        return new StorageVolumeDefinition(
            root.Attr("type") ?? "file",
            root.Text("name") ?? string.Empty,
            root.Text("key"),
            root.Bytes("capacity"),
            root.Bytes("allocation"),
            root.Bytes("physical"),
            target.Text("path"),
            target.Attr("format", "type"),
            backing.Text("path"),
            backing.Attr("format", "type"));
    }

    /// <summary>
    /// The <c>&lt;volume&gt;</c> to create: sizes in bytes. Without <paramref name="allocationBytes"/> a raw volume is
    /// preallocated (its file takes its whole size at once) and any other format starts empty (thin). With
    /// <paramref name="backingPath"/> the volume is an overlay that reads what it has not written from that file.
    /// </summary>
    public static string BuildXml(
        string name, ulong capacityBytes, string format, ulong? allocationBytes = null, string? backingPath = null, string? backingFormat = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(format);
        if (backingPath is null != (backingFormat is null))
        {
            throw new ArgumentException("A backing store needs both its path and its format.", backingPath is null ? nameof(backingPath) : nameof(backingFormat));
        }

        var volume = new XElement("volume",
            new XElement("name", name),
            new XElement("capacity", new XAttribute("unit", "bytes"), capacityBytes),
            new XElement("allocation", new XAttribute("unit", "bytes"), allocationBytes ?? (format == "raw" ? capacityBytes : 0)),
            new XElement("target", new XElement("format", new XAttribute("type", format))));
        if (backingPath is not null)
        {
            volume.Add(new XElement("backingStore",
                new XElement("path", backingPath),
                new XElement("format", new XAttribute("type", backingFormat!))));
        }

        return volume.ToString();
    }
}

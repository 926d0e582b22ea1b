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
}

using System.Security.Cryptography;
using System.Xml.Linq;

namespace VirtWeb.Guests;

/// <summary>How a clone gets its disks.</summary>
public enum GuestCloneDisks
{
    /// <summary>A new qcow2 volume per disk whose backing file is the source's volume: instant and thin, but the source's disks must not change afterwards.</summary>
    Overlay,

    /// <summary>A full, independent copy of each volume in the source's format.</summary>
    FullCopy,
}

/// <summary>One disk of the clone: which <c>&lt;disk&gt;</c> of the source it replaces and the volume made for it.</summary>
public sealed record ClonedDisk(int DiskIndex, string Pool, string VolumeName, string Path, string Format);

/// <summary>The pure part of cloning (which disks are copied, volume names, domain XML); testable without libvirt.</summary>
public static class GuestCloning
{
    /// <summary>
    /// Whether a <c>&lt;disk&gt;</c> gets its own copy. CD-ROMs, floppies, read-only and shareable disks are meant to be
    /// used by several guests at once, so the clone uses the same source; an empty drive has nothing to copy.
    /// </summary>
    public static bool Copies(XElement disk) =>
        (disk.Attribute("device")?.Value ?? "disk") is "disk" or "lun"
        && disk.Element("readonly") is null
        && disk.Element("shareable") is null
        && disk.Element("source") is { } source
        && source.Attributes().Any(a => a.Name.LocalName is "file" or "dev" or "volume" or "name");

    /// <summary>The new volume's name: <c>name.qcow2</c> for the first disk, <c>name-vdb.qcow2</c> for the others.</summary>
    public static string VolumeName(string guestName, int copyIndex, string? targetDev, string format) =>
        copyIndex == 0 ? $"{guestName}.{format}" : $"{guestName}-{targetDev ?? copyIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)}.{format}";

    /// <summary>A locally administered MAC in QEMU's 52:54:00 range, as libvirt itself generates them.</summary>
    public static string NewMac()
    {
        Span<byte> bytes = stackalloc byte[3];
        RandomNumberGenerator.Fill(bytes);
        return $"52:54:00:{bytes[0]:x2}:{bytes[1]:x2}:{bytes[2]:x2}";
    }

    /// <summary>
    /// The clone's domain XML: the source's persistent XML with a new name, UUID and MACs, and each copied disk pointing
    /// at its new volume. What belongs to one guest only is dropped so libvirt makes it afresh: the UEFI variable store
    /// (a file named after the guest) and fixed console ports (two guests cannot listen on one port).
    /// </summary>
    public static string CloneXml(string sourceXml, string name, Guid uuid, IReadOnlyList<ClonedDisk> disks, Func<string>? newMac = null)
    {
        newMac ??= NewMac;
        var document = XDocument.Parse(sourceXml);
        var root = document.Root ?? throw new GuestActionException("The source guest's XML is empty.");
        SetChild(root, "name", name);
        SetChild(root, "uuid", uuid.ToString());
        root.Element("os")?.Element("nvram")?.Remove();

        var devices = root.Element("devices");
        var diskElements = devices?.Elements("disk").ToList() ?? [];
        foreach (var disk in disks)
        {
            var element = diskElements[disk.DiskIndex];
            var source = element.Element("source")!;
            foreach (var attribute in source.Attributes().Where(a => a.Name.LocalName is "file" or "dev" or "pool" or "volume" or "name" or "protocol").ToList())
            {
                attribute.Remove();
            }

            var type = element.Attribute("type")?.Value;
            if (type == "volume")
            {
                source.SetAttributeValue("pool", disk.Pool);
                source.SetAttributeValue("volume", disk.VolumeName);
            }
            else if (type == "block")
            {
                source.SetAttributeValue("dev", disk.Path);
            }
            else
            {
                element.SetAttributeValue("type", "file");
                source.SetAttributeValue("file", disk.Path);
            }

            // The source's chain is not the clone's; libvirt reads the new volume's own header.
            element.Element("backingStore")?.Remove();
            if (element.Element("driver") is { } driver)
            {
                driver.SetAttributeValue("type", disk.Format);
            }
            else
            {
                source.AddBeforeSelf(new XElement("driver", new XAttribute("type", disk.Format)));
            }
        }

        foreach (var nic in devices?.Elements("interface") ?? [])
        {
            if (nic.Element("mac") is { } mac)
            {
                mac.SetAttributeValue("address", newMac());
            }
            else
            {
                nic.AddFirst(new XElement("mac", new XAttribute("address", newMac())));
            }

            nic.Element("target")?.Remove();
        }

        foreach (var graphics in devices?.Elements("graphics") ?? [])
        {
            if (graphics.Attribute("port") is { } port && graphics.Attribute("autoport")?.Value != "yes" && port.Value != "-1")
            {
                port.Remove();
                graphics.Attribute("websocket")?.Remove();
                graphics.SetAttributeValue("autoport", "yes");
            }
        }

        return root.ToString();
    }

    private static void SetChild(XElement root, string name, string value)
    {
        if (root.Element(name) is { } existing)
        {
            existing.Value = value;
        }
        else
        {
            root.Element("name")?.AddAfterSelf(new XElement(name, value));
        }
    }
}

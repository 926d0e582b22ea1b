using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Snapshots;

/// <summary>
/// The bytes of memory state an internal snapshot holds, read from the snapshot tables of its disks' qcow2 files.
/// The files are read through libvirt (<c>virStorageVolDownload</c> of the header and the table only), not opened
/// here: the disks belong to QEMU's user and VirtWeb's service user cannot read them, and it works for remote hosts
/// alike. Nothing asks QEMU (a monitor command would taint the domain) and nothing runs qemu-img.
/// </summary>
public sealed class SnapshotMemoryState(LibvirtConnection connection)
{
    // One tree read asks once per file, however many snapshots it holds.
    private readonly Dictionary<string, Qcow2SnapshotTable> _tables = new(StringComparer.Ordinal);

    /// <summary>The memory state bytes summed over the internal disks (QEMU saves it into one of them), or why unknown.</summary>
    public (ulong? Bytes, string? Unknown) Of(SnapshotDefinition definition)
    {
        var internalDisks = definition.Disks.Where(d => d.Snapshot == "internal").Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        if (internalDisks.Count == 0 || definition.DomainXml is not { } xml)
        {
            return (null, "the snapshot names no internal disk");
        }

        ulong total = 0;
        foreach (var disk in DomainDefinition.Parse(xml).Disks.Where(d => d.TargetDev is { } target && internalDisks.Contains(target)))
        {
            if (disk.SourceFile is not { } path)
            {
                return (null, $"disk {disk.TargetDev} is not a file");
            }
            var table = TableOf(path);
            if (table.Unknown is { } reason)
            {
                return (null, $"{Path.GetFileName(path)}: {reason}");
            }
            if (table.Find(definition.Name) is not { } entry)
            {
                return (null, $"{Path.GetFileName(path)} has no snapshot named {definition.Name} in its table");
            }
            total += entry.VmStateBytes;
        }

        return (total, null);
    }

    private Qcow2SnapshotTable TableOf(string path)
    {
        if (!_tables.TryGetValue(path, out var table))
        {
            try
            {
                using var volume = connection.GetStorageVolumeByPath(path);
                table = Qcow2SnapshotTable.Read((offset, length) => Download(volume, offset, length));
            }
            catch (LibvirtException e)
            {
                table = Qcow2SnapshotTable.Failed($"libvirt could not read it ({e.Message})");
            }
            _tables[path] = table;
        }

        return table;
    }

    /// <summary>At most <paramref name="length"/> bytes from <paramref name="offset"/>; fewer only where the file ends.</summary>
    private static byte[] Download(LibvirtStorageVolume volume, ulong offset, int length)
    {
        using var stream = volume.OpenDownload(offset, (ulong)length);
        var buffer = new byte[length];
        var filled = 0;
        int read;
        while (filled < length && (read = stream.Read(buffer.AsSpan(filled))) > 0)
        {
            filled += read;
        }
        if (filled == length)
        {
            // Read past the end of the range so the stream finishes cleanly instead of being aborted.
            Span<byte> rest = stackalloc byte[1];
            if (stream.Read(rest) > 0)
            {
                stream.Abort();
            }
        }

        return filled == length ? buffer : buffer[..filled];
    }
}

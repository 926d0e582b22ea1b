using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Snapshots;

/// <summary>Reads a guest's snapshots from libvirt into a <see cref="SnapshotTree"/>: one list call and two per snapshot.</summary>
public static class SnapshotReader
{
    public static SnapshotTree Read(Guid hostId, LibvirtDomain domain)
    {
        var snapshots = new List<GuestSnapshot>();
        var memoryState = new SnapshotMemoryState(domain.Connection);
        foreach (var snapshot in domain.ListSnapshots(SnapshotListFlags.Topological))
        {
            using (snapshot)
            {
                try
                {
                    snapshots.Add(ToModel(domain.Connection, snapshot.GetDefinition(), snapshot.IsCurrent, memoryState));
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomainSnapshot)
                {
                    // Deleted while we listed: the next read does not see it either.
                }
            }
        }

        return new SnapshotTree(hostId, domain.Uuid, snapshots);
    }

    public static GuestSnapshot ToModel(LibvirtConnection connection, SnapshotDefinition definition, bool isCurrent, SnapshotMemoryState? memoryState = null)
    {
        var mode = definition.State switch
        {
            "disk-snapshot" => SnapshotMode.DiskOnly,
            "shutoff" or "shutdown" or "crashed" => SnapshotMode.ShutOff,
            _ when definition.Memory == "no" => SnapshotMode.DiskOnly,
            _ => SnapshotMode.RunningWithMemory,
        };
        var disks = definition.Disks
            .Where(d => d.Snapshot is "internal" or "external")
            .Select(d => d.Snapshot == "external"
                ? new SnapshotDiskState(d.Name, SnapshotKind.External, d.SourceFile, AllocationOf(connection, d.SourceFile))
                : new SnapshotDiskState(d.Name, SnapshotKind.Internal, null, null))
            .ToList();
        ulong? memory = mode == SnapshotMode.RunningWithMemory && definition.DomainXml is { } xml
            ? DomainDefinition.Parse(xml).MemoryKiB * 1024
            : null;
        var kind = definition.IsExternal ? SnapshotKind.External : SnapshotKind.Internal;
        var (saved, unknown) = kind == SnapshotKind.Internal
            ? (memoryState ?? new SnapshotMemoryState(connection)).Of(definition)
            : (null, null);
        return new GuestSnapshot(
            definition.Name, definition.Description, definition.Parent, definition.CreationTime, mode, kind, isCurrent, disks, memory)
        {
            SavedMemoryBytes = saved,
            SavedMemoryUnknown = unknown,
        };
    }

    private static ulong? AllocationOf(LibvirtConnection connection, string? path)
    {
        if (path is null)
        {
            return null;
        }

        try
        {
            using var volume = connection.GetStorageVolumeByPath(path);
            return volume.GetInfo().AllocationBytes;
        }
        catch (LibvirtException)
        {
            // Not a volume (yet: its pool is refreshed after the snapshot) or gone.
            return null;
        }
    }
}

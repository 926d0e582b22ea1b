using VirtWeb.Guests;
using VirtWeb.Images;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.Snapshots;

/// <summary>
/// A create cut off half-way (libvirtd killed after QEMU made the overlay, before the metadata was written) leaves an
/// overlay on the guest's disk that no snapshot names and no guest uses. libvirtd rescans its pools when it starts, so
/// after the reconnection the live store lists that file with its backing chain; the tree names it, and the tab offers
/// to remove it, so the tree and the files agree again. Found from the store, without asking libvirt again.
/// </summary>
public static class SnapshotLeftovers
{
    public static SnapshotTree With(SnapshotTree tree, LiveStateStore store, IEnumerable<string> diskPaths)
    {
        var disks = diskPaths.ToHashSet(StringComparer.Ordinal);
        var named = tree.Snapshots.SelectMany(s => s.Disks).Select(d => d.OverlayPath).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var leftovers = store.Volumes.Current(v => v.HostId == tree.HostId && v.BackingChain.Count > 0 && disks.Contains(v.BackingChain[0]) && v.UsedBy.Count == 0 && !named.Contains(v.Path))
            .Select(v => v.Path)
            .Where(path => IsOverlayName(path, disks))
            .Order(StringComparer.Ordinal)
            .ToList();
        return leftovers.Count == 0 ? tree : tree with { Leftovers = leftovers };
    }

    public static IEnumerable<string> DiskPaths(LibvirtDomain domain) =>
        domain.GetDefinition().Disks.Where(d => d.Device == "disk").Select(d => d.SourceFile).OfType<string>();

    /// <summary>Checks again through libvirt, under the guest's lock, that <paramref name="path"/> is such a leftover, then deletes it.</summary>
    public static string Remove(LibvirtDomain domain, SnapshotTree tree, string path)
    {
        var disks = DiskPaths(domain).ToHashSet(StringComparer.Ordinal);
        using var volume = GuestLookups.FindVolume(domain.Connection, new Libvirt.Xml.DomainDisk("file", "disk", null, null, path, null, null, null, null, null, false))
            ?? throw new GuestActionException($"{path} is not a volume any more; there is nothing to remove.");
        var backing = volume.GetDefinition().BackingStorePath;
        using var pool = volume.GetPool();
        if (backing is null || !disks.Contains(backing) || !IsOverlayName(path, disks)
            || tree.Snapshots.SelectMany(s => s.Disks).Any(d => d.OverlayPath == path)
            || DiskUsage.Read(domain.Connection).GuestsUsing(pool.Name, volume.Name, path).Count > 0
            || ImageOperations.OverlaysOf(domain.Connection, path).Count > 0)
        {
            throw new GuestActionException($"{path} is not a leftover overlay of {domain.Name} (a snapshot, a guest or another file needs it); it is kept.");
        }

        volume.Delete();
        return $"Removed {path}, an overlay a cut-off snapshot of {domain.Name} left behind.";
    }

    // Only files named the way VirtWeb names overlays (disk.qcow2 -> disk.<snapshot>.qcow2): an overlay someone made by hand stays.
    private static bool IsOverlayName(string path, IReadOnlySet<string> disks) =>
        disks.Any(disk => Path.GetDirectoryName(disk) == Path.GetDirectoryName(path)
            && Path.GetFileName(path).StartsWith(Path.GetFileNameWithoutExtension(disk) + ".", StringComparison.Ordinal)
            && path.EndsWith(".qcow2", StringComparison.Ordinal));
}

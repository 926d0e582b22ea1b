using System.Security;
using System.Xml.Linq;
using VirtWeb.Guests;
using VirtWeb.Images;
using VirtWeb.Libvirt;

namespace VirtWeb.Snapshots;

/// <summary>
/// Reverts to an external disk-only or shut-off snapshot, which libvirt 9.0 refuses, the way newer libvirt does it:
/// the guest is shut off (a running one is stopped by the revert: a disk-only snapshot holds no memory to resume),
/// each disk is pointed at a fresh overlay made, through a libvirt volume, on the file the snapshot froze, and the
/// snapshot's metadata names that overlay from now on. The overlay the guest wrote to before stays while a snapshot
/// names it or a file is backed by it (the safety snapshot's is both); otherwise it held only the present state the
/// user chose to give up, and is removed (<see cref="CollectUnused"/>).
/// </summary>
internal static class SnapshotExternalRevert
{
    /// <summary>Why <paramref name="target"/> cannot be reverted to this way, or null.</summary>
    public static string? Problem(LibvirtDomain domain, GuestSnapshot target)
    {
        if (target.Mode == SnapshotMode.RunningWithMemory)
        {
            return $"Snapshot {target.Name} holds memory in an external file, which libvirt 9.0 cannot bring back. Revert to a disk-only or shut-off snapshot instead.";
        }

        foreach (var disk in target.Disks.Where(d => d.Kind == SnapshotKind.External))
        {
            if (disk.OverlayPath is not { } path || !SnapshotRepair.Exists(domain.Connection, path))
            {
                return $"Snapshot {target.Name}'s overlay {disk.OverlayPath ?? "(none)"} for disk {disk.Target} is not a volume; there is no file below it to go back to.";
            }
        }

        return null;
    }

    /// <summary>Does the revert; returns the overlays now under the guest's disks.</summary>
    public static IReadOnlyList<string> Revert(LibvirtDomain domain, GuestSnapshot target)
    {
        if (domain.IsActive)
        {
            domain.Destroy();
        }

        var connection = domain.Connection;
        using var snapshot = domain.GetSnapshot(target.Name);
        var snapshotXml = XDocument.Parse(snapshot.GetXml());
        var original = domain.GetXml(DomainXmlFlags.Inactive);
        var domainXml = XDocument.Parse(original);
        var namedBefore = SnapshotFiles.OverlaysNamed(domain);
        var defined = false;
        var left = new List<string>();
        var fresh = new List<string>();
        try
        {
            foreach (var disk in target.Disks.Where(d => d.Kind == SnapshotKind.External && d.OverlayPath is not null))
            {
                using var old = connection.GetStorageVolumeByPath(disk.OverlayPath!);
                var definition = old.GetDefinition();
                var below = definition.BackingStorePath
                    ?? throw new GuestActionException($"Snapshot {target.Name}'s overlay {disk.OverlayPath} has no backing file; there is nothing to go back to.");
                using var pool = old.GetPool();
                var overlay = FreshPath(connection, disk.OverlayPath!);
                pool.CreateVolume($"""
                    <volume><name>{SecurityElement.Escape(Path.GetFileName(overlay))}</name><capacity>{definition.CapacityBytes ?? old.GetInfo().CapacityBytes}</capacity>
                    <target><format type='qcow2'/></target>
                    <backingStore><path>{SecurityElement.Escape(below)}</path><format type='{SecurityElement.Escape(definition.BackingStoreFormat ?? "qcow2")}'/></backingStore></volume>
                    """).Dispose();
                fresh.Add(overlay);
                SourceOf(domainXml.Root?.Element("devices")?.Elements("disk"), "target", "dev", disk.Target, out var domainDisk)?.SetAttributeValue("file", overlay);
                domainDisk?.Element("backingStore")?.Remove();
                SourceOf(snapshotXml.Root?.Element("disks")?.Elements("disk"), null, "name", disk.Target, out _)?.SetAttributeValue("file", overlay);
                left.Add(CurrentSource(domain, disk.Target) ?? disk.OverlayPath!);
            }

            connection.DefineDomain(domainXml.Root!.ToString()).Dispose();
            defined = true;
            domain.CreateSnapshot(snapshotXml.Root!.ToString(SaveOptions.DisableFormatting), SnapshotCreateFlags.Redefine | SnapshotCreateFlags.Current).Dispose();
        }
        catch
        {
            // Nothing half-made: the guest names the files it had again, and the fresh overlays go.
            if (defined)
            {
                connection.DefineDomain(original).Dispose();
            }

            foreach (var path in fresh)
            {
                TryDelete(connection, path);
            }

            throw;
        }

        CollectUnused(domain, left.Concat(target.Disks.Select(d => d.OverlayPath).OfType<string>()), namedBefore);
        return fresh;
    }

    /// <summary>
    /// Removes each of <paramref name="paths"/> that nothing needs any more (no snapshot names it, no guest uses it, no
    /// file is backed by it), then the same for the file below it while that one is a snapshot overlay too: one the
    /// snapshots named before (<paramref name="overlays"/>) or one named as VirtWeb names an overlay of the file below
    /// it. A base image is never touched.
    /// </summary>
    public static void CollectUnused(LibvirtDomain domain, IEnumerable<string> paths, IReadOnlySet<string> overlays)
    {
        var connection = domain.Connection;
        var known = paths.ToHashSet(StringComparer.Ordinal);
        var queue = new Queue<string>(known);
        // A file is kept while another is backed by it: the pool must list the overlays a snapshot just made.
        SnapshotRepair.RefreshPools(connection, known);
        var named = SnapshotFiles.OverlaysNamed(domain);
        known.UnionWith(overlays);
        while (queue.TryDequeue(out var path))
        {
            if (named.Contains(path))
            {
                continue;
            }

            LibvirtStorageVolume volume;
            try
            {
                volume = connection.GetStorageVolumeByPath(path);
            }
            catch (LibvirtException)
            {
                continue;
            }

            using (volume)
            using (var pool = volume.GetPool())
            {
                var below = volume.GetDefinition().BackingStorePath;
                var overlay = known.Contains(path) || (below is not null && NamedAsOverlayOf(path, below));
                if (!overlay || DiskUsage.Read(connection).GuestsUsing(pool.Name, volume.Name, path).Count > 0 || ImageOperations.OverlaysOf(connection, path).Count > 0)
                {
                    continue;
                }

                volume.Delete();
                if (below is not null)
                {
                    queue.Enqueue(below);
                }
            }
        }
    }

    /// <summary>Whether <paramref name="path"/> is named as <see cref="SnapshotPlanner.OverlayPath"/> (or a revert) names an overlay of <paramref name="below"/>.</summary>
    private static bool NamedAsOverlayOf(string path, string below) =>
        Path.GetDirectoryName(path) == Path.GetDirectoryName(below)
        && Path.GetFileName(path).StartsWith(Path.GetFileNameWithoutExtension(below) + ".", StringComparison.Ordinal)
        && path.EndsWith(".qcow2", StringComparison.Ordinal);

    private static XElement? SourceOf(IEnumerable<XElement>? disks, string? child, string attribute, string target, out XElement? disk)
    {
        disk = disks?.FirstOrDefault(d => (child is null ? d : d.Element(child))?.Attribute(attribute)?.Value == target);
        if (disk is null)
        {
            return null;
        }

        if (disk.Element("source") is not { } source)
        {
            source = new XElement("source");
            disk.Add(source);
        }

        return source;
    }

    private static string? CurrentSource(LibvirtDomain domain, string target) =>
        domain.GetDefinition(DomainXmlFlags.Inactive).Disks.FirstOrDefault(d => d.TargetDev == target)?.SourceFile;

    /// <summary><c>disk.snap.qcow2</c> gets <c>disk.snap-r1.qcow2</c>, or the first number not taken.</summary>
    private static string FreshPath(LibvirtConnection connection, string overlay)
    {
        var directory = Path.GetDirectoryName(overlay) ?? "/";
        var stem = Path.GetFileNameWithoutExtension(overlay);
        var dash = stem.LastIndexOf("-r", StringComparison.Ordinal);
        if (dash > 0 && int.TryParse(stem[(dash + 2)..], out _))
        {
            stem = stem[..dash];
        }

        for (var i = 1; ; i++)
        {
            var path = Path.Combine(directory, $"{stem}-r{i}.qcow2");
            if (!SnapshotRepair.Exists(connection, path))
            {
                return path;
            }
        }
    }

    private static void TryDelete(LibvirtConnection connection, string path)
    {
        try
        {
            using var volume = connection.GetStorageVolumeByPath(path);
            volume.Delete();
        }
        catch (LibvirtException)
        {
            // Never made.
        }
    }
}

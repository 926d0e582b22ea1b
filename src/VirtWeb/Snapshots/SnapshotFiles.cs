using VirtWeb.Guests;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Snapshots;

/// <summary>
/// What deleting a guest must do about its snapshots, so that no snapshot file is left behind: internal snapshots go
/// with the qcow2 they live in, external ones leave the files under the guest's overlays, which go too. Only the chain
/// the snapshots made is followed: a shared base image under the guest's first disk file is never deleted.
/// </summary>
internal static class SnapshotFiles
{
    public static IReadOnlyList<string> Names(LibvirtDomain domain)
    {
        IReadOnlyList<LibvirtDomainSnapshot> snapshots;
        try
        {
            snapshots = domain.ListSnapshots();
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoSupport)
        {
            // A driver without snapshots (libvirt's LXC containers) has none to keep or delete.
            return [];
        }

        try
        {
            return snapshots.Select(s => s.Name).ToList();
        }
        finally
        {
            snapshots.ToList().ForEach(s => s.Dispose());
        }
    }

    /// <summary>The refusal for deleting a guest that has snapshots without its disks, or null when it has none.</summary>
    public static string? RefusalWithoutDisks(LibvirtDomain domain) => Names(domain) switch
    {
        { Count: 0 } => null,
        var names => $"{domain.Name} has {names.Count} snapshot(s) ({string.Join(", ", names.Take(5))}{(names.Count > 5 ? ", …" : "")}), which live in its disk files. " +
            "Delete them on the Snapshots tab first, or delete the guest with its disks (their files go with it).",
    };

    /// <summary>
    /// The files below the guest's disks that its external snapshots froze, nearest first: each overlay's backing
    /// file, for as long as the file above was one of the guest's snapshot overlays.
    /// </summary>
    public static IReadOnlyList<LibvirtStorageVolume> FrozenFiles(LibvirtConnection connection, LibvirtDomain domain, DomainDefinition definition)
    {
        var overlays = OverlaysNamed(domain);
        var frozen = new List<LibvirtStorageVolume>();
        foreach (var disk in definition.Disks.Where(d => d.Device == "disk"))
        {
            var path = disk.SourceFile;
            while (path is not null && overlays.Contains(path))
            {
                using var overlay = GuestLookups.FindVolume(connection, disk with { SourceFile = path, SourcePool = null, SourceVolume = null });
                path = overlay?.GetDefinition().BackingStorePath;
                if (path is not null && GuestLookups.FindVolume(connection, disk with { SourceFile = path, SourcePool = null, SourceVolume = null }) is { } below)
                {
                    RequireOnlyThisGuestNeeds(connection, domain.Name, below, overlay!.Name);
                    frozen.Add(below);
                }
            }
        }

        return frozen;
    }

    /// <summary>Every overlay file the guest's external snapshots name.</summary>
    public static HashSet<string> OverlaysNamed(LibvirtDomain domain)
    {
        var overlays = new HashSet<string>(StringComparer.Ordinal);
        foreach (var snapshot in domain.ListSnapshots())
        {
            using (snapshot)
            {
                overlays.UnionWith(snapshot.GetDefinition().Disks.Where(d => d.Snapshot == "external").Select(d => d.SourceFile).OfType<string>());
            }
        }

        return overlays;
    }

    /// <summary>The Images page's rule: a file another guest uses or another overlay needs is never deleted.</summary>
    private static void RequireOnlyThisGuestNeeds(LibvirtConnection connection, string guest, LibvirtStorageVolume volume, string overlayAbove)
    {
        using var pool = volume.GetPool();
        var users = Images.DiskUsage.Read(connection).GuestsUsing(pool.Name, volume.Name, volume.Path).Where(g => g != guest).ToList();
        var needs = Images.ImageOperations.OverlaysOf(connection, volume.Path).Where(o => o != overlayAbove).ToList();
        if (users.Count + needs.Count > 0)
        {
            volume.Dispose();
            throw new GuestActionException(
                $"{guest}'s snapshot file {volume.Name} is also needed by {string.Join(", ", users.Concat(needs))}; nothing was deleted. " +
                "Delete the guest and keep its disks, or free that file first.");
        }
    }
}

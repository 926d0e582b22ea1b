using System.Xml.Linq;
using VirtWeb.Guests;
using VirtWeb.Images;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Snapshots;

/// <summary>An external create that did not report back (libvirtd died under it): what it was making.</summary>
public sealed record SnapshotInFlight(Guid HostId, Guid Uuid, string Name, string? Description, IReadOnlyList<string> Overlays);

/// <summary>
/// Brings a guest whose external create was cut off (libvirtd killed) back to a state where the tree and the files
/// agree. libvirt 9.0 makes the overlay files first, then switches the disks (QEMU's transaction, or the saved
/// definition of a shut-off guest), then writes the snapshot's metadata; a kill between leaves one of:
/// overlays no disk uses (removed, after the Images page's in-use checks), disks switched onto the overlays without
/// metadata (the snapshot is completed: its metadata is redefined, so nothing the guest wrote since is lost), or
/// metadata naming an overlay that is not there (the metadata is removed). Only the files of the create that was in
/// flight are touched: an overlay someone made by hand, even one named alike, is never guessed at.
/// </summary>
internal static class SnapshotRepair
{
    public const string CompletedNote = "Completed by VirtWeb after libvirtd stopped while it was being taken.";

    /// <summary>The pools holding <paramref name="paths"/>, refreshed so that files libvirt made or lost (a snapshot's overlays) are seen.</summary>
    public static IReadOnlyList<Guid> RefreshPools(LibvirtConnection connection, IEnumerable<string> paths)
    {
        var directories = paths.Select(Path.GetDirectoryName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var refreshed = new List<Guid>();
        foreach (var pool in connection.ListStoragePools(StoragePoolListFlags.Active))
        {
            using (pool)
            {
                if (pool.GetDefinition().TargetPath is { } directory && directories.Contains(directory.TrimEnd('/')))
                {
                    ImageOperations.TryRefresh(pool);
                    refreshed.Add(pool.Uuid);
                }
            }
        }

        return refreshed;
    }

    /// <summary>Repairs what <paramref name="cut"/> left on <paramref name="domain"/> (its pools refreshed first); returns what was found and done, one sentence each.</summary>
    public static IReadOnlyList<string> Run(LibvirtDomain domain, SnapshotTree tree, SnapshotInFlight cut)
    {
        var notes = new List<string>();
        var connection = domain.Connection;
        var live = domain.IsActive ? domain.GetDefinition() : null;
        var persistent = domain.GetDefinition(DomainXmlFlags.Inactive);
        var existing = cut.Overlays.Where(p => Exists(connection, p)).ToList();
        var used = cut.Overlays.Where(p => (live ?? persistent).Disks.Any(d => d.SourceFile == p)).ToList();

        if (tree.Find(cut.Name) is { } made)
        {
            var missing = made.Disks.Where(d => d.OverlayPath is { } p && !Exists(connection, p)).Select(d => d.OverlayPath!).ToList();
            if (missing.Count > 0 && !missing.Any(used.Contains))
            {
                using var snapshot = domain.GetSnapshot(cut.Name);
                snapshot.Delete(SnapshotDeleteFlags.MetadataOnly);
                notes.Add($"Snapshot {cut.Name} had metadata but its overlay {string.Join(", ", missing)} does not exist; removed the metadata (no disk uses that file).");
                used.Clear();
            }
            else
            {
                notes.Add($"Snapshot {cut.Name} was complete when libvirtd stopped (metadata and overlay{(existing.Count == 1 ? "" : "s")} agree).");
            }
        }
        else if (used.Count > 0)
        {
            Redefine(domain, tree, cut, persistent, used);
            notes.Add($"The disks of {domain.Name} were already on the new overlay{(used.Count == 1 ? "" : "s")} {string.Join(", ", used)} but libvirt had not written snapshot {cut.Name}; " +
                "VirtWeb completed the snapshot (nothing written since is lost).");
        }

        if (live is not null && KeepPersistentOnLiveDisks(domain, live, persistent, cut.Overlays) is { Count: > 0 } aligned)
        {
            notes.Add($"The saved definition of {domain.Name} still named the files below {string.Join(", ", aligned)}; it now names the files the guest writes to.");
        }

        foreach (var overlay in existing.Where(p => !used.Contains(p)))
        {
            if (RemoveUnused(connection, overlay) is { } note)
            {
                notes.Add(note);
            }
        }

        return notes;
    }

    private static void Redefine(LibvirtDomain domain, SnapshotTree tree, SnapshotInFlight cut, DomainDefinition persistent, IReadOnlyList<string> used)
    {
        // The snapshot's saved domain is the guest as it was: each switched disk on the file below its overlay.
        var document = XDocument.Parse(domain.GetXml(DomainXmlFlags.Inactive));
        var disks = new XElement("disks");
        foreach (var disk in persistent.Disks.Where(d => d.TargetDev is not null))
        {
            var overlay = used.FirstOrDefault(p => p == disk.SourceFile || (domain.IsActive && LiveSource(domain, disk.TargetDev!) == p));
            if (overlay is null)
            {
                disks.Add(new XElement("disk", new XAttribute("name", disk.TargetDev!), new XAttribute("snapshot", "no")));
                continue;
            }

            disks.Add(new XElement("disk", new XAttribute("name", disk.TargetDev!), new XAttribute("snapshot", "external"), new XAttribute("type", "file"),
                new XElement("driver", new XAttribute("type", "qcow2")), new XElement("source", new XAttribute("file", overlay))));
            using var volume = domain.Connection.GetStorageVolumeByPath(overlay);
            if (volume.GetDefinition().BackingStorePath is { } below)
            {
                var source = document.Root?.Element("devices")?.Elements("disk")
                    .FirstOrDefault(d => d.Element("target")?.Attribute("dev")?.Value == disk.TargetDev)?.Element("source");
                source?.SetAttributeValue("file", below);
            }
        }

        var root = new XElement("domainsnapshot",
            new XElement("name", cut.Name),
            tree.Current is { } parent ? new XElement("parent", new XElement("name", parent.Name)) : null,
            new XElement("description", string.IsNullOrWhiteSpace(cut.Description) ? CompletedNote : $"{cut.Description} ({CompletedNote})"),
            new XElement("state", domain.IsActive ? "disk-snapshot" : "shutoff"),
            new XElement("creationTime", DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            new XElement("memory", new XAttribute("snapshot", "no")),
            disks,
            document.Root);
        domain.CreateSnapshot(root.ToString(SaveOptions.DisableFormatting), SnapshotCreateFlags.Redefine | SnapshotCreateFlags.Current).Dispose();
    }

    /// <summary>
    /// A running guest writes to what its live definition names; where the saved one names another file for a disk of
    /// this create, the next boot would read stale data. Points the saved definition at the live files.
    /// </summary>
    private static List<string> KeepPersistentOnLiveDisks(LibvirtDomain domain, DomainDefinition live, DomainDefinition persistent, IReadOnlyList<string> overlays)
    {
        if (!domain.IsPersistent)
        {
            return [];
        }

        var document = XDocument.Parse(domain.GetXml(DomainXmlFlags.Inactive));
        var aligned = new List<string>();
        foreach (var disk in persistent.Disks.Where(d => d.TargetDev is not null && d.SourceFile is not null))
        {
            var now = live.Disks.FirstOrDefault(d => d.TargetDev == disk.TargetDev)?.SourceFile;
            if (now is null || now == disk.SourceFile || !(overlays.Contains(now) || overlays.Contains(disk.SourceFile!)))
            {
                continue;
            }

            var element = document.Root?.Element("devices")?.Elements("disk").FirstOrDefault(d => d.Element("target")?.Attribute("dev")?.Value == disk.TargetDev);
            element?.Element("source")?.SetAttributeValue("file", now);
            element?.Element("backingStore")?.Remove();
            aligned.Add(disk.TargetDev!);
        }

        if (aligned.Count > 0)
        {
            domain.Connection.DefineDomain(document.Root!.ToString()).Dispose();
        }

        return aligned;
    }

    private static string? LiveSource(LibvirtDomain domain, string target) =>
        domain.GetDefinition().Disks.FirstOrDefault(d => d.TargetDev == target)?.SourceFile;

    /// <summary>Deletes an overlay of the cut-off create that nothing uses; says so, or why it is kept.</summary>
    private static string? RemoveUnused(LibvirtConnection connection, string path)
    {
        using var volume = connection.GetStorageVolumeByPath(path);
        using var pool = volume.GetPool();
        var users = DiskUsage.Read(connection).GuestsUsing(pool.Name, volume.Name, path);
        var above = ImageOperations.OverlaysOf(connection, path);
        if (users.Count + above.Count > 0)
        {
            return $"The overlay {path} that libvirtd made before it stopped is used by {string.Join(", ", users.Concat(above))}; it is kept.";
        }

        volume.Delete();
        return $"Removed the overlay {path} that libvirtd made before it stopped; no disk used it.";
    }

    internal static bool Exists(LibvirtConnection connection, string path)
    {
        try
        {
            connection.GetStorageVolumeByPath(path).Dispose();
            return true;
        }
        catch (LibvirtException)
        {
            return false;
        }
    }
}

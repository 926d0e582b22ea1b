using System.Diagnostics;
using System.Xml.Linq;
using VirtWeb.Guests;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Snapshots;

/// <summary>
/// Deletes an external snapshot the way libvirt 9.0 cannot itself: merges its overlays back into the files they cover
/// (QEMU's active block commit, then a pivot, so the disk is the original file again with the data written since),
/// then removes the overlay files and the metadata. A shut-off guest's QEMU is started with its CPUs stopped for the
/// commit and stopped again: the guest never runs. Only the newest external snapshot can be merged this way; older ones
/// are refused with what to delete first, so no chain is left that cannot be deleted.
/// </summary>
internal static class SnapshotMerge
{
    private static readonly TimeSpan JobDeadline = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Why <paramref name="snapshot"/> cannot be merged now, or null when it can.</summary>
    public static string? Problem(LibvirtDomain domain, SnapshotTree tree, GuestSnapshot snapshot)
    {
        if (tree.ChildrenOf(snapshot.Name).Select(c => c.Name).ToList() is { Count: > 0 } children)
        {
            return $"Snapshot {snapshot.Name} has newer snapshots ({string.Join(", ", children)}) on top of its overlay; delete those first, or delete it with its descendants.";
        }

        var current = domain.GetDefinition(domain.IsActive ? DomainXmlFlags.None : DomainXmlFlags.Inactive);
        foreach (var disk in snapshot.Disks.Where(d => d.Kind == SnapshotKind.External))
        {
            var source = current.Disks.FirstOrDefault(d => d.TargetDev == disk.Target)?.SourceFile;
            if (source == disk.OverlayPath && SharedBelow(domain.Connection, source!, []) is { } shared)
            {
                return shared;
            }

            if (source != disk.OverlayPath)
            {
                return $"{domain.Name}'s disk {disk.Target} is {source ?? "gone"}, not snapshot {snapshot.Name}'s overlay {disk.OverlayPath}; VirtWeb merges only the overlay the guest writes to. " +
                    "Put the disk back, or delete only the snapshot's metadata with virsh snapshot-delete --metadata.";
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="snapshot"/> lies on a branch the guest left by a revert: it has no children and no disk
    /// of the guest is on its overlays. Deleting it then merges nothing: what its overlays hold after it was given up.
    /// </summary>
    public static bool Abandoned(LibvirtDomain domain, SnapshotTree tree, GuestSnapshot snapshot)
    {
        if (tree.ChildrenOf(snapshot.Name).Any())
        {
            return false;
        }

        var sources = domain.GetDefinition(DomainXmlFlags.Inactive).Disks.Select(d => d.SourceFile)
            .Concat(domain.IsActive ? domain.GetDefinition().Disks.Select(d => d.SourceFile) : [])
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        return snapshot.Disks.Where(d => d.Kind == SnapshotKind.External).All(d => d.OverlayPath is null || !sources.Contains(d.OverlayPath));
    }

    /// <summary>
    /// Whether the guest, with <paramref name="snapshot"/>'s own branch left by a revert, writes to an overlay no
    /// snapshot names directly on the file the snapshot froze (what a merge of the snapshot above it leaves): deleting
    /// the snapshot then merges that overlay, as it would have merged its own. Null when not; else why not, or "".
    /// </summary>
    public static string? ProblemOfTopOnItsFile(LibvirtDomain domain, SnapshotTree tree, GuestSnapshot snapshot)
    {
        var named = tree.Snapshots.SelectMany(s => s.Disks).Select(d => d.OverlayPath).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var current = domain.GetDefinition(domain.IsActive ? DomainXmlFlags.None : DomainXmlFlags.Inactive);
        foreach (var disk in snapshot.Disks.Where(d => d.Kind == SnapshotKind.External && d.OverlayPath is not null))
        {
            var top = current.Disks.FirstOrDefault(d => d.TargetDev == disk.Target)?.SourceFile;
            if (top is null || named.Contains(top) || !SnapshotRepair.Exists(domain.Connection, top) || !SnapshotRepair.Exists(domain.Connection, disk.OverlayPath!))
            {
                return null;
            }

            using var own = domain.Connection.GetStorageVolumeByPath(disk.OverlayPath!);
            using var written = domain.Connection.GetStorageVolumeByPath(top);
            var frozen = own.GetDefinition().BackingStorePath;
            if (frozen is null || written.GetDefinition().BackingStorePath != frozen)
            {
                return null;
            }

            if (SharedBelow(domain.Connection, top, [disk.OverlayPath!]) is { } shared)
            {
                return shared;
            }
        }

        return "";
    }

    // A commit writes into the file below; after a revert that file may also be under another branch's files.
    private static string? SharedBelow(LibvirtConnection connection, string overlay, IReadOnlyCollection<string> goingToo)
    {
        using var volume = connection.GetStorageVolumeByPath(overlay);
        if (volume.GetDefinition().BackingStorePath is not { } below)
        {
            return null;
        }

        // OverlaysOf names volumes; these files' volumes are named as the files.
        var leaving = goingToo.Append(overlay).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        var others = Images.ImageOperations.OverlaysOf(connection, below).Where(o => !leaving.Contains(o)).ToList();
        return others.Count == 0 ? null
            : $"The file {below} under this snapshot is also under {string.Join(", ", others)} (a branch kept by a revert); merging would change them. Delete the snapshots of that branch first.";
    }

    /// <summary>Merges every overlay of <paramref name="snapshot"/> into its backing file; returns the overlays, now unused.</summary>
    public static IReadOnlyList<string> Merge(LibvirtDomain domain, GuestSnapshot snapshot)
    {
        var startedPaused = false;
        if (!domain.IsActive)
        {
            domain.Start(DomainCreateFlags.StartPaused);
            startedPaused = true;
        }

        var merged = new List<string>();
        try
        {
            foreach (var disk in snapshot.Disks.Where(d => d.Kind == SnapshotKind.External && d.OverlayPath is not null))
            {
                // The file the guest writes to: the snapshot's overlay, or the one a merge above left on the file it froze.
                var top = domain.GetDefinition().Disks.FirstOrDefault(d => d.TargetDev == disk.Target)?.SourceFile ?? disk.OverlayPath!;
                var backing = BackingOf(domain, disk.Target)
                    ?? throw new GuestActionException($"{domain.Name}'s overlay {top} has no backing file; there is nothing to merge it into.");
                CommitActiveLayer(domain, disk.Target, backing);
                KeepInPersistentDefinition(domain, disk.Target, top, backing);
                merged.Add(top);
            }
        }
        finally
        {
            // With libvirtd gone meanwhile, the merge's own error is the answer, not this step's.
            ConnectionLoss.Quietly(domain.Connection, () =>
            {
                if (startedPaused && domain.IsActive)
                {
                    domain.Destroy();
                }
            });
        }

        return merged;
    }

    private static string? BackingOf(LibvirtDomain domain, string target)
    {
        var disk = XDocument.Parse(domain.GetXml()).Root?.Element("devices")?.Elements("disk")
            .FirstOrDefault(d => d.Element("target")?.Attribute("dev")?.Value == target);
        return disk?.Element("backingStore")?.Element("source")?.Attribute("file")?.Value;
    }

    private static void CommitActiveLayer(LibvirtDomain domain, string target, string backing)
    {
        // Into the file right below only: without a base QEMU commits the whole chain into the bottom file, and the
        // files of older snapshots in between would be left stale, named by their snapshots.
        domain.BlockCommit(target, backing, null, BlockCommitFlags.Active);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var job = domain.GetBlockJob(target)
                ?? throw new GuestActionException($"The merge of {domain.Name}'s disk {target} ended before it could be switched over; the disk is unchanged.");

            // Caught up (cur == end) is not enough: libvirt pivots only once QEMU's BLOCK_JOB_READY has arrived, which
            // it shows as the disk's <mirror ready='yes'> (the same moment as the VIR_DOMAIN_BLOCK_JOB_READY event).
            if (job.Cur == job.End && MirrorReady(domain, target))
            {
                try
                {
                    domain.AbortBlockJob(target, BlockJobAbortFlags.Pivot);
                    break;
                }
                catch (LibvirtException e) when (NotReadyYet(e) && clock.Elapsed < JobDeadline)
                {
                    // QEMU fell behind again after the ready report (the guest wrote meanwhile): poll on until it is back.
                }
            }

            if (clock.Elapsed >= JobDeadline)
            {
                domain.AbortBlockJob(target);
                throw new GuestActionException($"Merging {domain.Name}'s disk {target} took longer than {JobDeadline.TotalMinutes:0} minutes and was cancelled; the disk is unchanged. Try again when the guest writes less.");
            }

            Thread.Sleep(Poll);
        }

        // The pivot finishes asynchronously: the job disappears when the disk has switched.
        while (domain.GetBlockJob(target) is not null && clock.Elapsed < JobDeadline)
        {
            Thread.Sleep(Poll);
        }
    }

    /// <summary>Whether the live definition shows the disk's commit job as ready to pivot.</summary>
    internal static bool MirrorReady(LibvirtDomain domain, string target) =>
        MirrorReady(domain.GetXml(), target);

    /// <summary>Whether <paramref name="liveXml"/> shows <paramref name="target"/>'s block job ready to pivot (<c>&lt;mirror ready='yes'&gt;</c>).</summary>
    internal static bool MirrorReady(string liveXml, string target) =>
        XDocument.Parse(liveXml).Root?.Element("devices")?.Elements("disk")
            .FirstOrDefault(d => d.Element("target")?.Attribute("dev")?.Value == target)?
            .Element("mirror")?.Attribute("ready")?.Value == "yes";

    // libvirt 9.0 says "block job ... not ready for pivot yet" as VIR_ERR_BLOCK_COPY_ACTIVE; older ones as an invalid operation.
    private static bool NotReadyYet(LibvirtException e) =>
        e.Code is LibvirtErrorCode.BlockCopyActive or LibvirtErrorCode.OperationInvalid;

    /// <summary>libvirt rewrites the persistent disk after a pivot; where it did not, VirtWeb points it at the merged file.</summary>
    private static void KeepInPersistentDefinition(LibvirtDomain domain, string target, string overlay, string backing)
    {
        if (!domain.IsPersistent)
        {
            return;
        }

        var document = XDocument.Parse(domain.GetXml(DomainXmlFlags.Inactive));
        var source = document.Root?.Element("devices")?.Elements("disk")
            .FirstOrDefault(d => d.Element("target")?.Attribute("dev")?.Value == target)?.Element("source");
        if (source?.Attribute("file")?.Value == overlay)
        {
            source.SetAttributeValue("file", backing);
            source.Parent?.Element("backingStore")?.Remove();
            using var _ = domain.Connection.DefineDomain(document.Root!.ToString());
        }
    }
}

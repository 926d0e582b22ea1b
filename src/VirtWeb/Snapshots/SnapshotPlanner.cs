using System.Xml.Linq;
using VirtWeb.Guests;
using VirtWeb.Images;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Snapshots;

/// <summary>How to take one snapshot: the XML and flags for libvirt, the overlay files it makes and what it costs.</summary>
public sealed record SnapshotPlan(string Xml, SnapshotCreateFlags Flags, IReadOnlyList<string> NewOverlays, SnapshotCost Cost);

/// <summary>
/// Decides whether and how a snapshot can be taken, before anything is made. What libvirt 9.0 cannot do cleanly is
/// refused here with the reason and what works instead: internal snapshots of raw disks or of UEFI (pflash) guests,
/// disk-only internal snapshots of a running guest (QEMU's savevm always takes the memory), external memory snapshots
/// (9.0 cannot revert them), and mixing internal and external snapshots on one guest (a mixed chain is the one that can
/// no longer be deleted).
/// </summary>
public static class SnapshotPlanner
{
    /// <summary>An overlay's header and first tables; it then grows with what the guest writes.</summary>
    public const ulong OverlayStartBytes = 1UL << 20;

    public static SnapshotPlan Plan(LibvirtDomain domain, SnapshotTree tree, SnapshotCreateInput input, bool agentConnected, StorageRoots roots)
    {
        var xml = domain.GetXml();
        var definition = DomainDefinition.Parse(xml);
        var running = domain.IsActive;
        var withMemory = input.WithMemory && running;
        var disks = definition.Disks.Where(d => d.Device == "disk" && !d.ReadOnly).ToList();
        var internalProblem = InternalProblem(definition, xml, disks);
        var possible = new List<SnapshotKind>();
        if (internalProblem is null)
        {
            possible.Add(SnapshotKind.Internal);
        }

        if (disks.Count > 0)
        {
            possible.Add(SnapshotKind.External);
        }

        var refusal = Refusal(definition.Name, tree, input with { WithMemory = withMemory }, running, disks.Count, internalProblem);
        var overlays = new List<string>();
        var diskSpecs = new List<SnapshotDisk>();
        var needByPool = new Dictionary<string, (ulong Available, ulong Need)>(StringComparer.Ordinal);
        foreach (var disk in definition.Disks)
        {
            var writable = disks.Contains(disk);
            if (!writable || disk.TargetDev is null)
            {
                if (disk.TargetDev is not null)
                {
                    diskSpecs.Add(new SnapshotDisk(disk.TargetDev, "no", null, null));
                }

                continue;
            }

            using var volume = GuestLookups.FindVolume(domain.Connection, disk);
            string? overlay = null;
            if (input.Kind == SnapshotKind.External)
            {
                // The overlay is a new file the host makes: like every file VirtWeb makes, only in a pool inside the roots.
                var path = volume?.Path;
                if (volume is null || path is null)
                {
                    refusal ??= $"{definition.Name}'s disk {disk.TargetDev} is not a volume of a storage pool; VirtWeb puts overlays only beside volumes of pools inside its storage roots ({roots.Described}).";
                }
                else if (OutsideRoots(volume, roots) is { } outside)
                {
                    refusal ??= outside;
                }
                else
                {
                    overlay = OverlayPath(path, input.Name);
                    if (Path.GetFileName(overlay).Length > ImageNames.MaxNameLength)
                    {
                        refusal ??= $"The overlay file {Path.GetFileName(overlay)} would be longer than {ImageNames.MaxNameLength} characters; shorten the snapshot name.";
                    }
                    else if (SnapshotRepair.Exists(domain.Connection, overlay))
                    {
                        refusal ??= $"{overlay} already exists; choose another snapshot name (VirtWeb never overwrites a file).";
                    }

                    overlays.Add(overlay);
                }
            }

            diskSpecs.Add(new SnapshotDisk(disk.TargetDev, input.Kind == SnapshotKind.External ? "external" : "internal", "qcow2", overlay));
            if (volume is not null)
            {
                using var pool = volume.GetPool();
                var need = input.Kind == SnapshotKind.External ? OverlayStartBytes : OverlayStartBytes / 4;
                var known = needByPool.GetValueOrDefault(pool.Name, (pool.GetInfo().AvailableBytes, 0UL));
                needByPool[pool.Name] = (known.Item1, known.Item2 + need);
            }
        }

        // Internal memory state is written into the first disk's qcow2, so it counts against that disk's pool.
        var memoryBytes = withMemory ? (definition.CurrentMemoryKiB ?? definition.MemoryKiB ?? 0) * 1024 : 0;
        if (memoryBytes > 0 && needByPool.Count > 0)
        {
            var first = needByPool.Keys.First();
            needByPool[first] = (needByPool[first].Available, needByPool[first].Need + memoryBytes);
        }

        var tightest = needByPool.OrderBy(p => (decimal)p.Value.Available - p.Value.Need).Select(p => (Name: p.Key, p.Value.Available, p.Value.Need)).FirstOrDefault();
        var estimate = tightest.Name is null ? memoryBytes : tightest.Need;
        var quiesce = input.Kind == SnapshotKind.External && running && agentConnected;
        var cost = new SnapshotCost(input.Kind, withMemory, tightest.Name, tightest.Name is null ? null : tightest.Available, estimate, quiesce, refusal, possible);
        if (refusal is null && !cost.Fits)
        {
            cost = cost with
            {
                Refusal = $"Pool {tightest.Name} has {ImageNames.Bytes(tightest.Available)} free, but this snapshot needs about {ImageNames.Bytes(estimate)}" +
                    (withMemory ? $" (the guest's {ImageNames.Bytes(memoryBytes)} of memory)" : "") +
                    ". Free space in the pool, or take a disk-only snapshot.",
            };
        }

        var flags = input.Kind == SnapshotKind.External
            ? SnapshotCreateFlags.DiskOnly | SnapshotCreateFlags.Atomic | (quiesce ? SnapshotCreateFlags.Quiesce : 0)
            : SnapshotCreateFlags.None;
        // Built only for a snapshot that can be taken: a refused name may hold what XML cannot carry (NUL).
        var snapshotXml = cost.Refusal is null ? SnapshotDefinition.Build(input.Name, input.Description, withMemory ? "internal" : "no", diskSpecs) : "";
        return new SnapshotPlan(snapshotXml, flags, overlays, cost);
    }

    /// <summary>The overlay beside the disk: <c>disk.qcow2</c> gets <c>disk.snap1.qcow2</c>, in the same pool.</summary>
    public static string OverlayPath(string diskPath, string snapshotName)
    {
        var directory = Path.GetDirectoryName(diskPath) ?? "/";
        var stem = Path.GetFileNameWithoutExtension(diskPath);
        return Path.Combine(directory, $"{stem}.{snapshotName}.qcow2");
    }

    private static string? Refusal(string guest, SnapshotTree tree, SnapshotCreateInput input, bool running, int diskCount, string? internalProblem)
    {
        if (ImageNames.Problem(input.Name, "snapshot") is { } nameProblem)
        {
            return nameProblem;
        }

        if (tree.Find(input.Name) is not null)
        {
            return $"{guest} already has a snapshot named {input.Name}; choose another name.";
        }

        if (input.Description?.Length > 4096 || input.Description?.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t') == true)
        {
            return "The description is longer than 4096 characters or contains a control character (such as NUL); shorten or retype it.";
        }

        var other = input.Kind == SnapshotKind.Internal ? SnapshotKind.External : SnapshotKind.Internal;
        if (tree.Snapshots.Any(s => s.Kind == other))
        {
            return $"{guest} already has {other.ToString().ToLowerInvariant()} snapshots; VirtWeb keeps one kind per guest so that every snapshot stays deletable. " +
                $"Take an {other.ToString().ToLowerInvariant()} snapshot, or delete those first.";
        }

        return input switch
        {
            { Kind: SnapshotKind.Internal } when internalProblem is not null => internalProblem,
            { Kind: SnapshotKind.Internal, WithMemory: false } when running =>
                $"An internal snapshot of running {guest} always includes its memory (QEMU saves both into the qcow2). Tick 'with memory', or take an external disk-only snapshot.",
            { Kind: SnapshotKind.External, WithMemory: true } =>
                "libvirt 9.0 cannot revert to an external snapshot with memory. Take an internal snapshot with memory, or an external one of the disks only.",
            { Kind: SnapshotKind.External } when diskCount == 0 => $"{guest} has no writable disk to put an overlay on.",
            _ => null,
        };
    }

    private static string? InternalProblem(DomainDefinition definition, string xml, IReadOnlyList<DomainDisk> disks)
    {
        if (disks.FirstOrDefault(d => d.DriverType != "qcow2") is { } raw)
        {
            return $"{definition.Name}'s disk {raw.TargetDev} is {raw.DriverType ?? "not qcow2"}; internal snapshots live inside a qcow2 file. " +
                "Take an external snapshot: VirtWeb puts a qcow2 overlay on top of the disk.";
        }

        var loader = XDocument.Parse(xml).Root?.Element("os")?.Element("loader");
        if (loader?.Attribute("type")?.Value == "pflash")
        {
            return $"{definition.Name} boots UEFI from pflash; libvirt 9.0 cannot take internal snapshots of it (the NVRAM is not a qcow2). Take an external snapshot of its disks instead.";
        }

        return null;
    }

    private static string? OutsideRoots(LibvirtStorageVolume volume, StorageRoots roots)
    {
        using var pool = volume.GetPool();
        var directory = pool.GetDefinition().TargetPath;
        return roots.IsInside(volume.Connection, directory) ? null : roots.OutsideMessage(pool.Name, directory, "take external snapshots there");
    }
}

using VirtWeb.Images;

namespace VirtWeb.Guests;

/// <summary>
/// Clones shut-off guests under the source's one-action lock, audited as <c>guest.clone</c> on the source (the XML is
/// <see cref="GuestCloning"/>'s). The Machine IDs area clones through here too, to give the clone its own id.
/// </summary>
public sealed class GuestCloningService(
    IHostConnections hostConnections,
    LiveStateStore store,
    GuestActionLock actions,
    AccessControl access,
    DefinitionPolicy definitions,
    ILogger<GuestCloningService> logger)
{
    /// <summary>
    /// Clones a shut-off guest under <paramref name="newName"/> (Operators and Administrators): every writable disk gets
    /// a new volume in its pool (a qcow2 overlay on the source's volume, or a full copy), the clone a new UUID and new
    /// MACs. Every disk is resolved and every new volume name checked before anything is made; when a copy or the
    /// definition fails, the volumes made so far are deleted and nothing is defined.
    /// </summary>
    /// <param name="adjustCloneXml">
    /// Changes the clone's domain XML before it is defined (the Machine IDs area adds the clone's own SMBIOS machine-ID
    /// credential); what it throws as <see cref="GuestActionException"/> stops the clone like any other refusal.
    /// </param>
    public async Task<GuestState> CloneAsync(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string? newName, GuestCloneDisks disks, CancellationToken cancellationToken = default,
        Func<string, string>? adjustCloneXml = null)
    {
        const string auditAction = "guest.clone";
        await access.RequireAsync(caller, Permission.ManageGuests, auditAction, AccessPaths.Guest(hostId, uuid), "clone a guest");
        // The clone is a new guest on the host: whoever clones must be allowed to create guests there too.
        await access.RequireAsync(caller, Permission.ManageGuests, auditAction, AccessPaths.Guests(hostId), "create a guest on this host");
        var cloneUuid = Guid.Empty;
        var sourceName = "";
        var result = await actions.RunAsync(caller, hostId, uuid, "Clone", auditAction, (host, domain) =>
        {
            sourceName = domain.Name;
            (cloneUuid, var message) = Clone(host, domain, newName, disks, adjustCloneXml);
            return message;
        }, cancellationToken, ownConnection: true);
        if (!result.Done)
        {
            throw new GuestActionException(result.Message);
        }

        var host = new WatchedHost(hostId, store.Hosts.Find(hostId.ToString())?.Name ?? "host", hostConnections.GuestConnection(hostId));
        return await actions.ReadNewAsync(host, cloneUuid, $"cloned from {sourceName} by {caller.Identity?.Name ?? "someone"}")
            ?? throw new GuestActionException($"The clone was made ({cloneUuid}) but could not be read back; it shows once the host reports it.");
    }

    /// <summary>
    /// Refuses a full copy that cannot fit before any copy exists: each pool needs at least the allocation of the
    /// volumes copied into it (what the copies will hold, unless a source is compressed; then the copy itself stops
    /// when the pool fills and is removed again).
    /// </summary>
    private static void RequireSpace(string sourceName, IReadOnlyList<(LibvirtStorageVolume Source, LibvirtStoragePool Pool)> copies)
    {
        foreach (var byPool in copies.GroupBy(c => c.Pool.Uuid))
        {
            var pool = byPool.First().Pool;
            // libvirt's free figure is from the pool's last refresh; whatever filled the file system since counts.
            ImageOperations.TryRefresh(pool);
            var need = byPool.Aggregate(0UL, (sum, c) => sum + c.Source.GetInfo().AllocationBytes);
            var available = pool.GetInfo().AvailableBytes;
            if (need > available)
            {
                throw new GuestActionException($"Could not clone {sourceName}: " + PoolFull.NotEnough(pool.Name, available, need, $"a full copy of {ImageOperations.Names([.. byPool.Select(c => c.Source.Name)])}") + " Or clone with overlays, which take almost nothing at first.");
            }
        }
    }

    private (Guid Uuid, string Message) Clone(WatchedHost host, LibvirtDomain source, string? newName, GuestCloneDisks mode, Func<string, string>? adjustCloneXml)
    {
        var name = GuestCreation.ValidateName(newName);
        var sourceName = source.Name;
        var connection = host.Connection;
        if (source.IsActive)
        {
            throw new GuestActionException(
                $"{sourceName} is {GuestText.State(source.GetState().State).ToLowerInvariant()}; shut it off before cloning it, so its disks are copied in a consistent state.");
        }

        if (GuestLookups.DomainExists(connection, name))
        {
            throw new GuestActionException($"A guest named {name} already exists on {host.Name}; choose another name for the clone.");
        }

        var xml = source.GetXml(DomainXmlFlags.Inactive);
        var definition = DomainDefinition.Parse(xml);
        var diskElements = System.Xml.Linq.XDocument.Parse(xml).Root?.Element("devices")?.Elements("disk").ToList() ?? [];
        var plan = new List<(int Index, LibvirtStorageVolume Source, LibvirtStoragePool Pool, string VolumeName, string SourceFormat, string Format)>();
        var created = new List<LibvirtStorageVolume>();
        try
        {
            // Resolve everything first: a disk VirtWeb cannot copy, or a name already taken, stops the clone before any volume exists.
            for (var i = 0; i < diskElements.Count; i++)
            {
                if (!GuestCloning.Copies(diskElements[i]))
                {
                    continue;
                }

                var disk = definition.Disks[i];
                var volume = GuestLookups.FindVolume(connection, disk)
                    ?? throw new GuestActionException(
                        $"{sourceName}'s disk {disk.TargetDev} ({disk.SourceFile ?? disk.SourceDevice ?? "no local source"}) is not a volume in a storage pool of {host.Name}; " +
                        "VirtWeb clones only disks it can copy through libvirt.");
                LibvirtStoragePool pool;
                try
                {
                    pool = volume.GetPool();
                }
                catch
                {
                    volume.Dispose();
                    throw;
                }

                var sourceFormat = volume.GetDefinition().TargetFormat ?? disk.DriverType ?? "raw";
                var format = mode == GuestCloneDisks.Overlay ? "qcow2" : sourceFormat;
                var volumeName = GuestCloning.VolumeName(name, plan.Count, disk.TargetDev, format);
                plan.Add((i, volume, pool, volumeName, sourceFormat, format));
                if (GuestLookups.VolumeExists(pool, volumeName))
                {
                    throw new GuestActionException($"The pool {pool.Name} already has a volume named {volumeName}; choose another name for the clone, or remove that volume.");
                }
            }

            // The clone as it will be, its copies standing in the source's place (same pools): checked before any copy exists.
            definitions.Require(connection, GuestCloning.CloneXml(
                xml, name, Guid.NewGuid(), [.. plan.Select(p => new ClonedDisk(p.Index, p.Pool.Name, p.Source.Name, p.Source.Path, p.Format))]));
            if (mode == GuestCloneDisks.FullCopy)
            {
                RequireSpace(sourceName, [.. plan.Select(p => (p.Source, p.Pool))]);
            }

            var disks = new List<ClonedDisk>();
            foreach (var step in plan)
            {
                var capacity = step.Source.GetInfo().CapacityBytes;
                LibvirtStorageVolume volume;
                try
                {
                    volume = mode == GuestCloneDisks.Overlay
                        ? PoolFull.MakeIn(step.Pool, step.VolumeName, $"making the overlay {step.VolumeName}", () =>
                            step.Pool.CreateVolume(StorageVolumeDefinition.BuildXml(step.VolumeName, capacity, "qcow2", backingPath: step.Source.Path, backingFormat: step.SourceFormat)))
                        : PoolFull.CopyInto(step.Pool, step.VolumeName, () => step.Pool.CloneVolume(StorageVolumeDefinition.BuildXml(step.VolumeName, capacity, step.Format), step.Source));
                }
                catch (ImageException e)
                {
                    // The copies made before this one go in the finally below: say so, the clone is not defined.
                    throw new GuestActionException($"Could not clone {sourceName}: {e.Message} {(created.Count > 0 ? "The disks copied before were removed too; " : "")}{name} was not defined.", e);
                }

                created.Add(volume);
                disks.Add(new ClonedDisk(step.Index, step.Pool.Name, step.VolumeName, volume.Path, step.Format));
            }

            var cloneXml = GuestCloning.CloneXml(xml, name, Guid.NewGuid(), disks);
            if (adjustCloneXml is not null)
            {
                cloneXml = adjustCloneXml(cloneXml);
            }

            definitions.Require(connection, cloneXml);

            using var clone = connection.DefineDomain(cloneXml, DomainDefineFlags.Validate);
            var uuid = clone.Uuid;
            created.ForEach(v => v.Dispose());
            created.Clear();
            var how = mode == GuestCloneDisks.Overlay
                ? $"{disks.Count} qcow2 overlay disk(s) on {sourceName}'s volumes; keep {sourceName} shut off, or its changes would corrupt the clone"
                : $"{disks.Count} fully copied disk(s)";
            return (uuid, $"Cloned {sourceName} to {name} ({uuid}) with {how}.");
        }
        finally
        {
            // Anything made for a clone that was not defined goes again, newest first (nothing here backs another).
            for (var i = created.Count - 1; i >= 0; i--)
            {
                try
                {
                    created[i].Delete();
                }
                catch (LibvirtException e)
                {
                    logger.LogWarning("Could not delete {Path} after a failed clone: {Message}", created[i].Path, e.Message);
                }

                created[i].Dispose();
            }

            foreach (var step in plan)
            {
                step.Source.Dispose();
                step.Pool.Dispose();
            }
        }
    }
}

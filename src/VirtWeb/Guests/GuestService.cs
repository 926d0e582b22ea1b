using System.Collections.Concurrent;
using System.Security.Claims;
using VirtWeb.Access;
using VirtWeb.Data;
using VirtWeb.Hosts;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Live;

namespace VirtWeb.Guests;

/// <summary>A guest's XML and what VirtWeb reads from it (disks, interfaces, graphics).</summary>
public sealed record GuestDetails(string Xml, DomainDefinition Definition);

/// <summary>
/// Power, settings and delete for guests. Every method checks the caller's role itself (Operator or Administrator;
/// per-object grants come later). One action per guest at a time across all users: a second click while one runs is
/// skipped, not queued. After an action the guest is re-read at once, so the list does not wait for the event.
/// Every attempt is written to the audit trail under <c>/hosts/{host}/guests/{uuid}</c>: a refusal before anything is
/// tried (Denied), libvirt's or VirtWeb's refusal (Failure, with the message the user saw) and success. A second click
/// skipped while the first runs changes nothing and is not written.
/// </summary>
public sealed class GuestService(
    IHostConnections hostConnections,
    LiveStateStore store,
    GuestWatcher watcher,
    GuestTimeline timeline,
    AuditLog audit,
    AccessControl access,
    DefinitionPolicy definitions,
    ILogger<GuestService> logger)
{
    private readonly ConcurrentDictionary<string, string> _running = new(StringComparer.Ordinal);

    /// <summary>Raised with the guest's key when an action on it starts or ends.</summary>
    public event Action<string>? BusyChanged;

    public bool IsBusy(string guestKey) => _running.ContainsKey(guestKey);

    /// <summary>The audit trail's target for one guest.</summary>
    public static string AuditTarget(Guid hostId, Guid uuid) => $"/hosts/{hostId}/guests/{uuid}";

    /// <summary>The audit trail's target for a guest that does not exist yet (a refused create).</summary>
    public static string AuditTarget(Guid hostId) => $"/hosts/{hostId}/guests";

    public async Task<GuestActionResult> RunAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, GuestAction action, CancellationToken cancellationToken = default)
    {
        var auditAction = GuestActions.AuditAction(action);
        await access.RequireAsync(caller, Permission.Power, auditAction, AuditTarget(hostId, uuid), $"{GuestActions.Verb(action)} a guest");
        return await Exclusive(caller, hostId, uuid, GuestActions.Title(action), auditAction, (host, domain) => Apply(host, domain, action), cancellationToken);
    }

    /// <summary>
    /// Deletes a shut-off guest. <paramref name="confirmName"/> must be its name (the dialog makes the user type it).
    /// With <paramref name="deleteDisks"/>, every disk must be a storage volume, checked before anything is undefined.
    /// </summary>
    public async Task<GuestActionResult> DeleteAsync(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string confirmName, bool deleteDisks, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, "guest.delete", AuditTarget(hostId, uuid), "delete a guest");
        return await Exclusive(caller, hostId, uuid, "Delete", "guest.delete", (host, domain) => Delete(host, domain, confirmName, deleteDisks), cancellationToken);
    }

    /// <summary>The guest's persistent XML (live XML for a transient guest), without secrets; whoever may see the guest may read it.</summary>
    public async Task<GuestDetails> ReadDetailsAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.View, "guest.read", AuditTarget(hostId, uuid), "see this guest");
        var connection = Connection(hostId);
        return await Task.Run(() =>
        {
            using var domain = Domain(connection, uuid);
            var xml = domain.GetXml(domain.IsPersistent ? DomainXmlFlags.Inactive : DomainXmlFlags.None);
            return new GuestDetails(xml, DomainDefinition.Parse(xml));
        }, cancellationToken);
    }

    /// <summary>
    /// Replaces the guest's definition (Administrators only). The XML must parse, be a domain and keep the guest's
    /// name and UUID, and pass <see cref="DefinitionPolicy"/> (what it already had unchanged may stay); libvirt then
    /// validates it against its schema. A refused edit leaves the guest as it was.
    /// </summary>
    public async Task<GuestActionResult> UpdateXmlAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, string xml, CancellationToken cancellationToken = default)
    {
        const string auditAction = "guest.xml.edit";
        await access.RequireAsync(caller, Permission.EditGuestXml, auditAction, AuditTarget(hostId, uuid), "edit a guest's XML");
        xml ??= "";
        DomainDefinition edited;
        try
        {
            var document = System.Xml.Linq.XDocument.Parse(xml, System.Xml.Linq.LoadOptions.SetLineInfo);
            if (document.Root?.Name.LocalName != "domain")
            {
                throw new GuestActionException($"The XML must be one <domain> element; this one is <{document.Root?.Name.LocalName}>.");
            }

            edited = DomainDefinition.Parse(xml);
        }
        catch (System.Xml.XmlException e)
        {
            var refused = new GuestActionException($"The XML does not parse: {e.Message} Fix it and review again.", e);
            await audit.WriteAsync(caller, auditAction, AuditTarget(hostId, uuid), AuditOutcome.Failure, refused.Message);
            throw refused;
        }
        catch (GuestActionException e)
        {
            await audit.WriteAsync(caller, auditAction, AuditTarget(hostId, uuid), AuditOutcome.Failure, e.Message);
            throw;
        }

        return await Exclusive(caller, hostId, uuid, "Edit XML", auditAction, (host, domain) =>
        {
            if (edited.Uuid is { } editedUuid && editedUuid != uuid)
            {
                throw new GuestActionException($"The XML names UUID {editedUuid}, but this guest is {uuid}; keep the UUID (clone the guest to make a new one).");
            }

            if (edited.Name != domain.Name)
            {
                throw new GuestActionException($"The XML renames {domain.Name} to '{edited.Name}'; renaming through the XML is not supported, keep the name.");
            }

            definitions.Require(host.Connection, xml, domain.GetXml(domain.IsPersistent ? DomainXmlFlags.Inactive : DomainXmlFlags.None));
            using var _ = host.Connection.DefineDomain(xml, DomainDefineFlags.Validate);
            return domain.IsActive
                ? $"Saved {domain.Name}'s definition; most changes apply at its next start."
                : $"Saved {domain.Name}'s definition.";
        }, cancellationToken);
    }

    /// <summary>
    /// Creates a guest (Operators and Administrators). Everything is checked before anything is created; a volume made
    /// for the guest is deleted again when libvirt refuses the definition, so nothing is left half-way.
    /// </summary>
    public async Task<GuestState> CreateAsync(ClaimsPrincipal caller, GuestCreateInput input, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, "guest.create", AuditTarget(input.HostId), "create a guest");
        GuestState created;
        try
        {
            created = await Create(caller, input, cancellationToken);
        }
        catch (GuestActionException e)
        {
            await audit.WriteAsync(caller, "guest.create", AuditTarget(input.HostId), e.Outcome, $"{input.Name}: {e.Message}");
            throw;
        }

        await audit.WriteAsync(caller, "guest.create", AuditTarget(created.HostId, created.Uuid), AuditOutcome.Success, created.Name);
        return created;
    }

    private async Task<GuestState> Create(ClaimsPrincipal caller, GuestCreateInput input, CancellationToken cancellationToken)
    {
        var name = GuestCreation.ValidateName(input.Name);
        var facts = store.Hosts.Find(input.HostId.ToString())?.Facts;
        if (input.Vcpus < 1 || (facts is not null && input.Vcpus > facts.CpuCount))
        {
            throw new GuestActionException($"A guest needs between 1 and {facts?.CpuCount ?? 1} vCPUs on this host; {input.Vcpus} is outside that.");
        }

        if (input.MemoryMiB < GuestCreation.MinMemoryMiB)
        {
            throw new GuestActionException($"Memory must be at least {GuestCreation.MinMemoryMiB} MiB; {input.MemoryMiB} MiB cannot boot anything.");
        }

        if (facts is not null && (long)input.MemoryMiB * 1024 > facts.MemoryKiB)
        {
            throw new GuestActionException($"{input.MemoryMiB} MiB is more memory than the host has ({facts.MemoryKiB / 1024} MiB).");
        }

        if (input.Disk is GuestDiskChoice.NewQcow2 or GuestDiskChoice.NewRaw && (input.DiskSizeGiB < 1 || string.IsNullOrWhiteSpace(input.Pool)))
        {
            throw new GuestActionException("Choose a storage pool and a disk size of at least 1 GiB for the new disk.");
        }

        if (input.Disk == GuestDiskChoice.ExistingVolume && string.IsNullOrWhiteSpace(input.ExistingVolumePath))
        {
            throw new GuestActionException("Choose the existing volume the guest boots from.");
        }

        if (input.Boot == GuestBootChoice.Iso && string.IsNullOrWhiteSpace(input.IsoPath))
        {
            throw new GuestActionException("Choose the ISO image to boot from.");
        }

        if (input.Boot == GuestBootChoice.Kernel && string.IsNullOrWhiteSpace(input.KernelPath))
        {
            throw new GuestActionException("Give the path of the kernel to boot.");
        }

        if (input.Network != GuestNetworkChoice.None && string.IsNullOrWhiteSpace(input.NetworkSource))
        {
            throw new GuestActionException(input.Network == GuestNetworkChoice.Bridge ? "Name the bridge (for example br0)." : "Name the libvirt network (for example default).");
        }

        var connection = Connection(input.HostId);
        var hostName = store.Hosts.Find(input.HostId.ToString())?.Name ?? "the host";
        var uuid = await Task.Run(() =>
        {
            if (Exists(connection, name))
            {
                throw new GuestActionException($"A guest named {name} already exists on {hostName}; choose another name.");
            }

            LibvirtStorageVolume? created = null;
            try
            {
                (string Path, string Format)? disk = null;
                try
                {
                    var type = facts?.KvmUsable == true ? "kvm" : connection.HypervisorType.Equals("QEMU", StringComparison.OrdinalIgnoreCase) ? "qemu" : connection.HypervisorType.ToLowerInvariant();
                    string Xml((string Path, string Format)? disk) =>
                        GuestCreation.DomainXml(type, facts?.CpuArchitecture ?? "x86_64", name, input.Vcpus, input.MemoryMiB, disk, input);

                    definitions.RequireCreate(connection, input, Xml);

                    switch (input.Disk)
                    {
                        case GuestDiskChoice.NewQcow2 or GuestDiskChoice.NewRaw:
                            var format = input.Disk == GuestDiskChoice.NewQcow2 ? "qcow2" : "raw";
                            using (var pool = connection.GetStoragePoolByName(input.Pool!.Trim()))
                            {
                                created = pool.CreateVolume(
                                    $"<volume><name>{System.Security.SecurityElement.Escape(name)}.{format}</name><capacity unit='GiB'>{input.DiskSizeGiB}</capacity>" +
                                    (format == "raw" ? $"<allocation unit='GiB'>{input.DiskSizeGiB}</allocation>" : "<allocation>0</allocation>") +
                                    $"<target><format type='{format}'/></target></volume>");
                            }

                            disk = (created.Path, format);
                            break;
                        case GuestDiskChoice.ExistingVolume:
                            using (var volume = connection.GetStorageVolumeByPath(input.ExistingVolumePath?.Trim() ?? ""))
                            {
                                disk = (volume.Path, volume.GetDefinition().TargetFormat ?? "raw");
                            }

                            break;
                    }

                    var xml = Xml(disk);
                    definitions.Require(connection, xml);
                    using var domain = connection.DefineDomain(xml, DomainDefineFlags.Validate);
                    created?.Dispose();
                    created = null;
                    return domain.Uuid;
                }
                catch (LibvirtException e)
                {
                    throw new GuestActionException($"Could not create {name}: {Plain(e)}", e);
                }
            }
            finally
            {
                if (created is not null)
                {
                    // The definition failed: the disk made for it goes too.
                    try
                    {
                        created.Delete();
                    }
                    catch (LibvirtException e)
                    {
                        logger.LogWarning("Could not delete {Path} after a failed create: {Message}", created.Path, e.Message);
                    }

                    created.Dispose();
                }
            }
        }, cancellationToken);

        var host = new WatchedHost(input.HostId, hostName, connection);
        await Task.Run(() => watcher.ReRead(host, uuid), CancellationToken.None);
        timeline.Add(GuestState.KeyOf(input.HostId, uuid), $"created by {caller.Identity?.Name ?? "someone"}");
        return store.Guests.Find(GuestState.KeyOf(input.HostId, uuid))
            ?? throw new GuestActionException($"{name} was created but could not be read back; it shows once the host reports it.");
    }

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
        await access.RequireAsync(caller, Permission.ManageGuests, auditAction, AuditTarget(hostId, uuid), "clone a guest");
        // The clone is a new guest on the host: whoever clones must be allowed to create guests there too.
        await access.RequireAsync(caller, Permission.ManageGuests, auditAction, AuditTarget(hostId), "create a guest on this host");
        var cloneUuid = Guid.Empty;
        var sourceName = "";
        var result = await Exclusive(caller, hostId, uuid, "Clone", auditAction, (host, domain) =>
        {
            sourceName = domain.Name;
            (cloneUuid, var message) = Clone(host, domain, newName, disks, adjustCloneXml);
            return message;
        }, cancellationToken);
        if (!result.Done)
        {
            throw new GuestActionException(result.Message);
        }

        var connection = Connection(hostId);
        var host = new WatchedHost(hostId, store.Hosts.Find(hostId.ToString())?.Name ?? "host", connection);
        await Task.Run(() => watcher.ReRead(host, cloneUuid), CancellationToken.None);
        var key = GuestState.KeyOf(hostId, cloneUuid);
        timeline.Add(key, $"cloned from {sourceName} by {caller.Identity?.Name ?? "someone"}");
        return store.Guests.Find(key)
            ?? throw new GuestActionException($"The clone was made ({cloneUuid}) but could not be read back; it shows once the host reports it.");
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

        if (Exists(connection, name))
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
                var volume = FindVolume(connection, disk)
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
                if (VolumeExists(pool, volumeName))
                {
                    throw new GuestActionException($"The pool {pool.Name} already has a volume named {volumeName}; choose another name for the clone, or remove that volume.");
                }
            }

            // The clone as it will be, its copies standing in the source's place (same pools): checked before any copy exists.
            definitions.Require(connection, GuestCloning.CloneXml(
                xml, name, Guid.NewGuid(), [.. plan.Select(p => new ClonedDisk(p.Index, p.Pool.Name, p.Source.Name, p.Source.Path, p.Format))]));
            var disks = new List<ClonedDisk>();
            foreach (var step in plan)
            {
                var capacity = step.Source.GetInfo().CapacityBytes;
                var volume = mode == GuestCloneDisks.Overlay
                    ? step.Pool.CreateVolume(GuestCloning.OverlayVolumeXml(step.VolumeName, capacity, step.Source.Path, step.SourceFormat))
                    : step.Pool.CloneVolume(GuestCloning.CopyVolumeXml(step.VolumeName, capacity, step.Format), step.Source);
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

    private static bool VolumeExists(LibvirtStoragePool pool, string name)
    {
        try
        {
            using var _ = pool.GetVolumeByName(name);
            return true;
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStorageVol)
        {
            return false;
        }
    }

    private static bool Exists(LibvirtConnection connection, string name)
    {
        try
        {
            using var _ = connection.GetDomainByName(name);
            return true;
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            return false;
        }
    }

    private LibvirtConnection Connection(Guid hostId)
    {
        try
        {
            return hostConnections.GetConnection(hostId);
        }
        catch (HostUnavailableException e)
        {
            throw new GuestActionException(e.Message, e);
        }
    }

    private static LibvirtDomain Domain(LibvirtConnection connection, Guid uuid)
    {
        try
        {
            return connection.GetDomainByUuid(uuid);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            throw new GuestActionException("This guest no longer exists; someone deleted it.", e);
        }
    }

    private Task<GuestActionResult> Exclusive(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string title, string auditAction, Func<WatchedHost, LibvirtDomain, string> act,
        CancellationToken cancellationToken) =>
        ExclusiveAsync(caller, hostId, uuid, title, auditAction, (host, domain) => Task.FromResult(act(host, domain)), cancellationToken);

    /// <summary>
    /// Runs <paramref name="act"/> on the guest under the one-action-per-guest lock, audits the outcome under
    /// <paramref name="auditAction"/> and re-reads the guest. Shared with other areas acting on a guest (Machine IDs), so
    /// their work and a power action never overlap. The caller checks authorization before calling.
    /// </summary>
    internal async Task<GuestActionResult> ExclusiveAsync(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string title, string auditAction, Func<WatchedHost, LibvirtDomain, Task<string>> act,
        CancellationToken cancellationToken)
    {
        var key = GuestState.KeyOf(hostId, uuid);
        var name = store.Guests.Find(key)?.Name ?? uuid.ToString();
        if (!_running.TryAdd(key, title))
        {
            return new GuestActionResult(false, $"{name}: {_running.GetValueOrDefault(key, "an action")} is still running; wait for it to finish.");
        }

        BusyChanged?.Invoke(key);
        try
        {
            var host = new WatchedHost(hostId, store.Hosts.Find(hostId.ToString())?.Name ?? "host", hostConnections.GetConnection(hostId));
            var message = await Task.Run(async () =>
            {
                LibvirtDomain domain;
                try
                {
                    domain = host.Connection.GetDomainByUuid(uuid);
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                {
                    throw new GuestActionException($"{name} no longer exists on {host.Name}; someone deleted it.", e);
                }

                using (domain)
                {
                    name = domain.Name;
                    try
                    {
                        return await act(host, domain);
                    }
                    catch (LibvirtException e)
                    {
                        throw new GuestActionException($"Could not {title.ToLowerInvariant()} {name}: {Plain(e)}", e);
                    }
                }
            }, cancellationToken);

            timeline.Add(key, $"{title} by {caller.Identity?.Name ?? "someone"}");
            logger.LogInformation("{User} did {Action} on guest {Guest} on {Host}.", caller.Identity?.Name, title, name, host.Name);
            await audit.WriteAsync(caller, auditAction, AuditTarget(hostId, uuid), AuditOutcome.Success, message);
            await Task.Run(() => watcher.ReRead(host, uuid), CancellationToken.None);
            return new GuestActionResult(true, message);
        }
        catch (GuestActionException e)
        {
            timeline.Add(key, $"{title} by {caller.Identity?.Name ?? "someone"} failed: {e.Message}");
            await audit.WriteAsync(caller, auditAction, AuditTarget(hostId, uuid), e.Outcome, e.Message);
            throw;
        }
        catch (HostUnavailableException e)
        {
            await audit.WriteAsync(caller, auditAction, AuditTarget(hostId, uuid), AuditOutcome.Failure, e.Message);
            throw new GuestActionException(e.Message, e);
        }
        finally
        {
            _running.TryRemove(key, out _);
            BusyChanged?.Invoke(key);
        }
    }

    private static string Apply(WatchedHost host, LibvirtDomain domain, GuestAction action)
    {
        var name = domain.Name;
        switch (action)
        {
            case GuestAction.Start:
                domain.Start();
                return $"Started {name}.";
            case GuestAction.Shutdown when HasConnectedAgent(domain):
                domain.Shutdown(DomainShutdownFlags.GuestAgent);
                return $"Asked {name}'s guest agent to shut down.";
            case GuestAction.Shutdown:
                // The default lets the driver pick: ACPI power button on QEMU, what the driver supports elsewhere.
                domain.Shutdown();
                return $"Sent {name} a shutdown request (ACPI power button); the guest decides when to stop.";
            case GuestAction.Reboot:
                domain.Reboot(HasConnectedAgent(domain) ? DomainRebootFlags.GuestAgent : DomainRebootFlags.Default);
                return $"Asked {name} to reboot.";
            case GuestAction.ForceOff:
                domain.Destroy();
                return $"Forced {name} off.";
            case GuestAction.Pause:
                domain.Suspend();
                return $"Paused {name}.";
            case GuestAction.Resume:
                domain.Resume();
                return $"Resumed {name}.";
            case GuestAction.ManagedSave:
                domain.ManagedSave();
                return $"Saved {name}'s memory to disk and stopped it; Start restores it.";
            case GuestAction.AutostartOn:
                domain.Autostart = true;
                return $"{name} now starts with {host.Name}.";
            case GuestAction.AutostartOff:
                domain.Autostart = false;
                return $"{name} no longer starts with {host.Name}.";
            default:
                throw new GuestActionException($"Unknown action {action}.");
        }
    }

    private string Delete(WatchedHost host, LibvirtDomain domain, string confirmName, bool deleteDisks)
    {
        var name = domain.Name;
        if (!string.Equals(confirmName?.Trim(), name, StringComparison.Ordinal))
        {
            throw new GuestActionException($"Type the guest's name, {name}, to confirm deleting it.");
        }

        if (domain.IsActive)
        {
            throw new GuestActionException($"{name} is running; force it off first, then delete it.");
        }

        var definition = domain.GetDefinition(DomainXmlFlags.Inactive);
        var volumes = new List<LibvirtStorageVolume>();
        try
        {
            if (deleteDisks)
            {
                // Resolve every disk before undefining anything, so a disk VirtWeb cannot delete stops the whole delete.
                foreach (var disk in definition.Disks.Where(d => d.Device == "disk"))
                {
                    volumes.Add(FindVolume(host.Connection, disk)
                        ?? throw new GuestActionException(
                            $"{name}'s disk {disk.TargetDev} ({disk.SourceFile ?? disk.SourceDevice ?? "no source"}) is not a volume in a storage pool of {host.Name}; " +
                            "delete the guest and keep its disks, then remove that file by hand."));
                    definitions.RequireDeletable(volumes[^1], $"{name}'s disk {disk.TargetDev}");
                }
            }

            Undefine(domain);
            var failures = new List<string>();
            foreach (var volume in volumes)
            {
                try
                {
                    volume.Delete();
                }
                catch (LibvirtException e)
                {
                    failures.Add($"{volume.Path}: {Plain(e)}");
                }
            }

            return failures.Count == 0
                ? deleteDisks ? $"Deleted {name} and {volumes.Count} disk(s)." : $"Deleted {name}; its disks are kept."
                : $"Deleted {name}, but not all of its disks: {string.Join("; ", failures)}";
        }
        finally
        {
            volumes.ForEach(v => v.Dispose());
        }
    }

    private static void Undefine(LibvirtDomain domain)
    {
        try
        {
            domain.Undefine(DomainUndefineFlags.ManagedSave | DomainUndefineFlags.SnapshotsMetadata | DomainUndefineFlags.Nvram | DomainUndefineFlags.CheckpointsMetadata);
        }
        catch (LibvirtException e) when (e.Code is LibvirtErrorCode.InvalidArg or LibvirtErrorCode.NoSupport or LibvirtErrorCode.ArgumentUnsupported)
        {
            // Drivers without NVRAM or checkpoints (the test driver) refuse those flags; nothing was undefined yet.
            domain.Undefine(DomainUndefineFlags.ManagedSave | DomainUndefineFlags.SnapshotsMetadata);
        }
    }

    private static LibvirtStorageVolume? FindVolume(LibvirtConnection connection, DomainDisk disk)
    {
        try
        {
            if (disk.SourcePool is { } pool && disk.SourceVolume is { } volume)
            {
                using var storagePool = connection.GetStoragePoolByName(pool);
                return storagePool.GetVolumeByName(volume);
            }

            var path = disk.SourceFile ?? disk.SourceDevice;
            return path is null ? null : connection.GetStorageVolumeByPath(path);
        }
        catch (LibvirtException)
        {
            return null;
        }
    }

    private static bool HasConnectedAgent(LibvirtDomain domain) =>
        domain.GetDefinition().Channels.Any(c => c.TargetName == GuestReader.AgentChannel && c.TargetState == "connected");

    /// <summary>libvirt's own message, without the doubled prefixes some drivers add.</summary>
    public static string Plain(LibvirtException e) => e.Message.Trim().TrimEnd('.') + ".";
}

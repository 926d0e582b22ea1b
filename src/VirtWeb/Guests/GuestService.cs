namespace VirtWeb.Guests;

/// <summary>A guest's XML and what VirtWeb reads from it (disks, interfaces, graphics).</summary>
public sealed record GuestDetails(string Xml, DomainDefinition Definition);

/// <summary>
/// Power, settings, delete and XML for guests (creation and cloning have services of their own). Every method checks
/// the caller's role on the guest itself, then runs under the guest's <see cref="GuestActionLock"/>, which audits every
/// attempt under <c>/hosts/{host}/guests/{uuid}</c>: a refusal before anything is tried (Denied), libvirt's or
/// VirtWeb's refusal (Failure, with the message the user saw) and success.
/// </summary>
public sealed class GuestService(
    IHostConnections hostConnections,
    GuestActionLock actions,
    AuditLog audit,
    AccessControl access,
    DefinitionPolicy definitions)
{
    public async Task<GuestActionResult> RunAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, GuestAction action, CancellationToken cancellationToken = default)
    {
        var auditAction = GuestActions.AuditAction(action);
        await access.RequireAsync(caller, Permission.Power, auditAction, AccessPaths.Guest(hostId, uuid), $"{GuestActions.Verb(action)} a guest");
        return await actions.RunAsync(caller, hostId, uuid, GuestActions.Title(action), auditAction, (host, domain) => Apply(host, domain, action), cancellationToken,
            ownConnection: action == GuestAction.ManagedSave);
    }

    /// <summary>
    /// Deletes a shut-off guest. <paramref name="confirmName"/> must be its name (the dialog makes the user type it).
    /// With <paramref name="deleteDisks"/>, every disk must be a storage volume, checked before anything is undefined.
    /// </summary>
    public async Task<GuestActionResult> DeleteAsync(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string confirmName, bool deleteDisks, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, "guest.delete", AccessPaths.Guest(hostId, uuid), "delete a guest");
        return await actions.RunAsync(caller, hostId, uuid, "Delete", "guest.delete", (host, domain) => Delete(host, domain, confirmName, deleteDisks), cancellationToken);
    }

    /// <summary>The guest's persistent XML (live XML for a transient guest), without secrets; whoever may see the guest may read it.</summary>
    public async Task<GuestDetails> ReadDetailsAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.View, "guest.read", AccessPaths.Guest(hostId, uuid), "see this guest");
        var connection = hostConnections.GuestConnection(hostId);
        return await Task.Run(() =>
        {
            using var domain = GuestLookups.Domain(connection, uuid);
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
        await access.RequireAsync(caller, Permission.EditGuestXml, auditAction, AccessPaths.Guest(hostId, uuid), "edit a guest's XML");
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
            await audit.WriteAsync(caller, auditAction, AccessPaths.Guest(hostId, uuid), AuditOutcome.Failure, refused.Message);
            throw refused;
        }
        catch (GuestActionException e)
        {
            await audit.WriteAsync(caller, auditAction, AccessPaths.Guest(hostId, uuid), AuditOutcome.Failure, e.Message);
            throw;
        }

        return await actions.RunAsync(caller, hostId, uuid, "Edit XML", auditAction, (host, domain) =>
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


    private static string Apply(WatchedHost host, LibvirtDomain domain, GuestAction action)
    {
        var name = domain.Name;
        switch (action)
        {
            case GuestAction.Start:
                Templates.TemplateMarks.RefuseStart(domain);
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
                Templates.TemplateMarks.RefuseStart(domain);
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

        if (!deleteDisks && Snapshots.SnapshotFiles.RefusalWithoutDisks(domain) is { } snapshotsLeft)
        {
            throw new GuestActionException(snapshotsLeft);
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
                    volumes.Add(GuestLookups.FindVolume(host.Connection, disk)
                        ?? throw new GuestActionException(
                            $"{name}'s disk {disk.TargetDev} ({disk.SourceFile ?? disk.SourceDevice ?? "no source"}) is not a volume in a storage pool of {host.Name}; " +
                            "delete the guest and keep its disks, then remove that file by hand."));
                    definitions.RequireDeletable(volumes[^1], $"{name}'s disk {disk.TargetDev}");
                }

                // Under external snapshots' overlays: the files they froze, deleted after the overlays above them.
                foreach (var frozen in Snapshots.SnapshotFiles.FrozenFiles(host.Connection, domain, definition))
                {
                    volumes.Add(frozen);
                    definitions.RequireDeletable(frozen, $"{name}'s snapshot file {frozen.Name}");
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
                    failures.Add($"{volume.Path}: {actions.ForUser(e)}");
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
            try
            {
                domain.Undefine(DomainUndefineFlags.ManagedSave | DomainUndefineFlags.SnapshotsMetadata);
            }
            catch (LibvirtException again) when (again.Code is LibvirtErrorCode.InvalidArg or LibvirtErrorCode.NoSupport or LibvirtErrorCode.ArgumentUnsupported)
            {
                // libvirt's LXC driver has neither saved states nor snapshots, and takes no flags at all.
                domain.Undefine();
            }
        }
    }

    private static bool HasConnectedAgent(LibvirtDomain domain) =>
        domain.GetDefinition().Channels.Any(c => c.TargetName == GuestReader.AgentChannel && c.TargetState == "connected");

}

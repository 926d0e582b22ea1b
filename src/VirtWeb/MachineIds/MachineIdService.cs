namespace VirtWeb.MachineIds;

/// <summary>
/// Reads, regenerates and assigns guests' machine IDs, and gives clones their own. Every change checks the caller's
/// role itself (Operator or Administrator), runs under the guest's one-action lock (<see cref="GuestActionLock"/>) and is
/// audited under <c>/hosts/{host}/guests/{uuid}</c>. The registry is written only after the new id was read back and
/// verified, so a failure leaves it as it was.
/// </summary>
public sealed class MachineIdService(
    IHostConnections hostConnections,
    LiveStateStore store,
    GuestActionLock actions,
    GuestCloningService cloning,
    MachineIdRegistry registry,
    IDbContextFactory<VirtWebDbContext> dbFactory,
    AuditLog audit,
    AccessControl access,
    TimeProvider timeProvider,
    ILogger<MachineIdService> logger)
{
    public const string RegenerateAction = "machineid.regenerate";
    public const string AssignAction = "machineid.assign";
    public const string CloneFirstBootAction = "machineid.clone.firstboot";

    /// <summary>Who the trail names for what VirtWeb does by itself (an identity-safe clone's first boot).</summary>
    public static ClaimsPrincipal SystemCaller { get; } = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "virtweb (identity-safe clone)")], "system"));

    /// <summary>The subject key of a guest, from the host's libvirt identity.</summary>
    public string GuestSubject(Guid hostId, Guid uuid) =>
        MachineIdSubjects.Guest(MachineIdSubjects.HostIdentity(hostId, store.Hosts.Find(hostId.ToString())?.Facts), uuid);

    /// <summary>
    /// Reads a running guest's machine ID through its agent (and its SMBIOS credential from the XML) and records what
    /// it found. Nothing is recorded when the agent fails.
    /// </summary>
    public async Task<MachineId?> ReadGuestAsync(Guid hostId, Guid uuid, CancellationToken cancellationToken = default)
    {
        var connection = hostConnections.GetConnection(hostId);
        using var domain = await Task.Run(() => connection.GetDomainByUuid(uuid), cancellationToken);
        var name = domain.Name;
        var subject = GuestSubject(hostId, uuid);
        var definition = await Task.Run(() => domain.GetDefinition(DomainXmlFlags.Inactive), cancellationToken);
        var credential = MachineIdXml.Credential(definition);

        var agent = new MachineIdAgent(domain, name);
        var (id, problem) = await agent.ReadMachineIdAsync(MachineIdAgent.EtcMachineId, cancellationToken);
        var (dbus, _) = await agent.ReadMachineIdAsync(MachineIdAgent.DbusMachineId, cancellationToken);

        if (credential is { } offered)
        {
            await registry.RecordAsync(new MachineIdObservation(subject, MachineIdSubjectKind.Guest, hostId, uuid, name, MachineIdSource.SmbiosCredential, offered,
                id is { } running && running != offered ? "offered at boot, but the guest's disk already had an id, which it kept" : null), cancellationToken);
        }

        if (id is { } current)
        {
            await registry.RecordAsync(new MachineIdObservation(subject, MachineIdSubjectKind.Guest, hostId, uuid, name, MachineIdSource.GuestAgent, current), cancellationToken);
        }
        else
        {
            logger.LogInformation("{Guest} has no usable /etc/machine-id: {Problem}", name, problem ?? "the file is missing");
        }

        // The D-Bus copy gets a row of its own only when it disagrees; when it agrees (as a link always does) it is one id.
        if (dbus is { } dbusId && dbusId != id)
        {
            await registry.RecordAsync(new MachineIdObservation(subject, MachineIdSubjectKind.Guest, hostId, uuid, name, MachineIdSource.GuestAgentDbus, dbusId,
                "differs from /etc/machine-id: D-Bus and systemd disagree; regenerate to link them", Flagged: true), cancellationToken);
        }
        else if (id is not null)
        {
            registry.Forget(subject, MachineIdSource.GuestAgentDbus);
        }

        await FollowUpCloneAsync(hostId, uuid, id, cancellationToken);
        return id;
    }

    /// <summary>
    /// Gives a running guest a new machine ID through its agent, the way an administrator would: <c>dbus-uuidgen</c>
    /// or <c>systemd-machine-id-setup</c> where the guest has one, else a VirtWeb-generated id written with the agent's
    /// file calls; <c>/var/lib/dbus/machine-id</c> stays linked. The new id is read back and must differ from the old.
    /// </summary>
    public async Task<GuestActionResult> RegenerateAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, RegenerateAction, AccessPaths.Guest(hostId, uuid), "regenerate a guest's machine ID");
        MachineId? created = null;
        string? old = null;
        var result = await actions.RunAsync(caller, hostId, uuid, "Regenerate machine ID", RegenerateAction, async (host, domain) =>
        {
            var name = domain.Name;
            var agent = MachineIdInGuest.RequireRunningWithAgent(domain, name, "regenerate its machine ID", "assign one through SMBIOS instead (it is used at the next boot with an empty /etc/machine-id)");
            try
            {
                var (before, _) = await agent.ReadMachineIdAsync(MachineIdAgent.EtcMachineId, cancellationToken);
                old = before?.Value;
                var how = await MachineIdInGuest.RegenerateInGuestAsync(agent, name, cancellationToken);
                var after = await MachineIdInGuest.VerifyAsync(agent, name, before, expected: how.Id, cancellationToken);
                created = after;
                return $"Regenerated {name}'s machine ID with '{how.Command}': {before?.Value ?? "none"} → {after.Value}, read back through the agent" +
                    " (/var/lib/dbus/machine-id agrees). Reboot it so services that read the id at start (journald, the DHCP client) use the new one.";
            }
            catch (MachineIdAgentException e)
            {
                throw new GuestActionException(e.Message, e);
            }
        }, cancellationToken);

        if (result.Done && created is { } id)
        {
            var name = store.Guests.Find(GuestState.KeyOf(hostId, uuid))?.Name ?? uuid.ToString();
            await registry.RecordAsync(new MachineIdObservation(GuestSubject(hostId, uuid), MachineIdSubjectKind.Guest, hostId, uuid, name, MachineIdSource.GuestAgent, id,
                $"regenerated by {caller.Identity?.Name ?? "someone"} (was {old ?? "none"}); verified through the agent"), CancellationToken.None);
            registry.Forget(GuestSubject(hostId, uuid), MachineIdSource.GuestAgentDbus);
        }

        return result;
    }

    /// <summary>
    /// Gives a shut-off guest a new machine ID as the SMBIOS credential <c>io.systemd.credential:system.machine_id</c>
    /// in its XML; systemd (and the tiny test guest) uses it at the next boot while <c>/etc/machine-id</c> is empty.
    /// </summary>
    public async Task<GuestActionResult> AssignAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, AssignAction, AccessPaths.Guest(hostId, uuid), "assign a guest's machine ID");
        var id = MachineId.New();
        var result = await actions.RunAsync(caller, hostId, uuid, "Assign machine ID", AssignAction, (host, domain) =>
        {
            var name = domain.Name;
            if (domain.IsActive)
            {
                throw new GuestActionException($"{name} is running; the SMBIOS credential is read only at boot. Regenerate its id through the agent, or shut it off and assign again.");
            }

            var xml = MachineIdXml.WithCredential(domain.GetXml(DomainXmlFlags.Inactive), id);
            using (host.Connection.DefineDomain(xml, DomainDefineFlags.Validate))
            {
            }

            var stored = MachineIdXml.Credential(domain.GetDefinition(DomainXmlFlags.Inactive));
            if (stored != id)
            {
                throw new GuestActionException($"libvirt stored {name}'s definition without the machine-ID credential; it was not assigned.");
            }

            return Task.FromResult($"Assigned {name} the machine ID {id.Value} as SMBIOS credential io.systemd.credential:system.machine_id. " +
                "The guest takes it at its next boot if its /etc/machine-id is empty (a fresh or sysprepped disk); a disk that has an id keeps it.");
        }, cancellationToken);

        if (result.Done)
        {
            var name = store.Guests.Find(GuestState.KeyOf(hostId, uuid))?.Name ?? uuid.ToString();
            await registry.RecordAsync(new MachineIdObservation(GuestSubject(hostId, uuid), MachineIdSubjectKind.Guest, hostId, uuid, name, MachineIdSource.SmbiosCredential, id,
                $"assigned by {caller.Identity?.Name ?? "someone"}; used at the next boot with an empty /etc/machine-id"), CancellationToken.None);
        }

        return result;
    }

    /// <summary>
    /// Clones a guest (see <see cref="GuestCloningService.CloneAsync"/>); with <paramref name="newMachineId"/> (the default) the
    /// clone gets its own id: the SMBIOS credential in its XML, and, because the cloned disk still holds the source's
    /// <c>/etc/machine-id</c> (which wins over the credential), the id is written through the agent at the clone's
    /// first boot and verified to differ from the source's. virt-sysprep is not used: see README (Machine IDs).
    /// <paramref name="adjustCloneXml"/> changes the clone's XML further (a template deploy's size, network and seed).
    /// </summary>
    public async Task<GuestState> CloneAsync(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string? newName, GuestCloneDisks disks, bool newMachineId = true, CancellationToken cancellationToken = default,
        Func<string, string>? adjustCloneXml = null)
    {
        if (!newMachineId)
        {
            return await cloning.CloneAsync(caller, hostId, uuid, newName, disks, cancellationToken, adjustCloneXml);
        }

        var id = MachineId.New();
        var clone = await cloning.CloneAsync(caller, hostId, uuid, newName, disks, cancellationToken,
            xml => MachineIdXml.WithCredential(adjustCloneXml is null ? xml : adjustCloneXml(xml), id));
        var sourceId = registry.KnownId(GuestSubject(hostId, uuid));
        var now = timeProvider.GetUtcNow();
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            db.MachineIdClones.Add(new MachineIdCloneRecord
            {
                HostId = hostId,
                CloneUuid = clone.Uuid,
                SourceUuid = uuid,
                NewMachineId = id.Value,
                SourceMachineId = sourceId?.Value,
                State = CloneState.Pending,
                CreatedAt = now,
                UpdatedAt = now,
            });
            await db.SaveChangesAsync(CancellationToken.None);
        }

        await registry.RecordAsync(new MachineIdObservation(GuestSubject(hostId, clone.Uuid), MachineIdSubjectKind.Guest, hostId, clone.Uuid, clone.Name, MachineIdSource.SmbiosCredential, id,
            "identity-safe clone: set through the agent at first boot, then verified"), CancellationToken.None);
        await audit.WriteAsync(caller, AssignAction, AccessPaths.Guest(hostId, clone.Uuid), AuditOutcome.Success,
            $"identity-safe clone of {uuid}: machine ID {id.Value} as SMBIOS credential, to be set and verified through the agent at first boot");
        return clone;
    }

    /// <summary>The state of an identity-safe clone's first-boot check, or null when the guest is not one.</summary>
    public async Task<MachineIdCloneRecord?> CloneStateAsync(Guid cloneUuid, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.MachineIdClones.AsNoTracking().Where(c => c.CloneUuid == cloneUuid).OrderByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// After an agent read of an identity-safe clone still pending: the new id already running is verified; otherwise
    /// (the cloned disk's id won over the credential) the new id is written through the agent, read back, and the clone
    /// rebooted so every service starts with it; the read after that boot verifies it. A failure flags the clone.
    /// </summary>
    private async Task FollowUpCloneAsync(Guid hostId, Guid uuid, MachineId? running, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var pending = await db.MachineIdClones.Where(c => c.CloneUuid == uuid && c.HostId == hostId && c.State != CloneState.Verified)
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
        if (pending is null)
        {
            return;
        }

        var wanted = MachineId.Parse(pending.NewMachineId);
        var sourceId = pending.SourceMachineId ?? registry.KnownId(GuestSubject(hostId, pending.SourceUuid))?.Value;
        var name = store.Guests.Find(GuestState.KeyOf(hostId, uuid))?.Name ?? uuid.ToString();
        var subject = GuestSubject(hostId, uuid);
        if (running == wanted && wanted.Value != sourceId)
        {
            pending.State = CloneState.Verified;
            pending.Detail = $"runs with its own machine ID {wanted.Value}, read through the agent; {(sourceId is null ? "the source's id was never read" : $"the source's is {sourceId}")}";
            pending.UpdatedAt = timeProvider.GetUtcNow();
            await db.SaveChangesAsync(CancellationToken.None);
            await registry.RecordAsync(new MachineIdObservation(subject, MachineIdSubjectKind.Guest, hostId, uuid, name, MachineIdSource.GuestAgent, wanted,
                $"identity-safe clone verified: {pending.Detail}"), CancellationToken.None);
            await audit.WriteAsync(SystemCaller, CloneFirstBootAction, AccessPaths.Guest(hostId, uuid), AuditOutcome.Success, $"{name}: {pending.Detail}");
            return;
        }

        if (pending.State == CloneState.Flagged)
        {
            return;
        }

        GuestActionResult result;
        try
        {
            result = await actions.RunAsync(SystemCaller, hostId, uuid, "Set the clone's machine ID", CloneFirstBootAction, async (host, domain) =>
            {
                var agent = MachineIdInGuest.RequireRunningWithAgent(domain, name, "set its new machine ID", "it is set at its next boot");
                try
                {
                    await MachineIdInGuest.WriteIdAsync(agent, wanted, cancellationToken);
                    await MachineIdInGuest.VerifyAsync(agent, name, running, wanted, cancellationToken);
                    // The services started so far (journald, DHCP client) read the cloned id: a reboot starts them with the new one.
                    // libvirt's agent reboot, not a raw guest-shutdown: qemu-ga never answers that one when it works.
                    await Task.Run(() => domain.Reboot(DomainRebootFlags.GuestAgent), CancellationToken.None);
                }
                catch (MachineIdAgentException e)
                {
                    throw new GuestActionException(e.Message, e);
                }

                return $"{name} booted with its source's machine ID {running?.Value ?? "(none)"}; set its own {wanted.Value} through the agent, read it back and rebooted it so every service starts with it.";
            }, cancellationToken);
        }
        catch (GuestActionException e)
        {
            result = new GuestActionResult(false, e.Message);
        }

        if (result.Done)
        {
            pending.Detail = result.Message;
            pending.UpdatedAt = timeProvider.GetUtcNow();
            await db.SaveChangesAsync(CancellationToken.None);
            await registry.RecordAsync(new MachineIdObservation(subject, MachineIdSubjectKind.Guest, hostId, uuid, name, MachineIdSource.GuestAgent, wanted,
                "identity-safe clone: set through the agent at first boot; verified again after the reboot"), CancellationToken.None);
        }
        else if (!result.Message.Contains("is still running", StringComparison.Ordinal))
        {
            pending.State = CloneState.Flagged;
            pending.Detail = $"could not set its own machine ID: {result.Message}";
            pending.UpdatedAt = timeProvider.GetUtcNow();
            await db.SaveChangesAsync(CancellationToken.None);
            if (running is { } kept)
            {
                await registry.RecordAsync(new MachineIdObservation(subject, MachineIdSubjectKind.Guest, hostId, uuid, name, MachineIdSource.GuestAgent, kept,
                    $"identity-safe clone NOT fixed: {pending.Detail}", Flagged: true), CancellationToken.None);
            }
        }
    }
}

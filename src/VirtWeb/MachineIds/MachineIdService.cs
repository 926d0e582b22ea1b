using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using VirtWeb.Access;
using VirtWeb.Data;
using VirtWeb.Guests;
using VirtWeb.Hosts;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.MachineIds;

/// <summary>
/// Reads, regenerates and assigns guests' machine IDs, and gives clones their own. Every change checks the caller's
/// role itself (Operator or Administrator), runs under the guest's one-action lock (<see cref="GuestService"/>) and is
/// audited under <c>/hosts/{host}/guests/{uuid}</c>. The registry is written only after the new id was read back and
/// verified, so a failure leaves it as it was.
/// </summary>
public sealed class MachineIdService(
    IHostConnections hostConnections,
    LiveStateStore store,
    GuestService guests,
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

    public const string DbusUuidgenCommand = "rm -f /etc/machine-id && dbus-uuidgen --ensure=/etc/machine-id";
    public const string SystemdSetupCommand = "rm -f /etc/machine-id && systemd-machine-id-setup";

    // Links the D-Bus copy to /etc/machine-id, as distributions ship it, so both always say the same.
    private const string LinkDbusCommand = "if [ -d /var/lib/dbus ]; then ln -sf /etc/machine-id /var/lib/dbus/machine-id; fi; sync";

    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(30);

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
        await access.RequireAsync(caller, Permission.ManageGuests, RegenerateAction, GuestService.AuditTarget(hostId, uuid), "regenerate a guest's machine ID");
        MachineId? created = null;
        string? old = null;
        var result = await guests.ExclusiveAsync(caller, hostId, uuid, "Regenerate machine ID", RegenerateAction, async (host, domain) =>
        {
            var name = domain.Name;
            var agent = RequireRunningWithAgent(domain, name, "regenerate its machine ID", "assign one through SMBIOS instead (it is used at the next boot with an empty /etc/machine-id)");
            try
            {
                var (before, _) = await agent.ReadMachineIdAsync(MachineIdAgent.EtcMachineId, cancellationToken);
                old = before?.Value;
                var how = await RegenerateInGuestAsync(agent, name, cancellationToken);
                var after = await VerifyAsync(agent, name, before, expected: how.Id, cancellationToken);
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
        await access.RequireAsync(caller, Permission.ManageGuests, AssignAction, GuestService.AuditTarget(hostId, uuid), "assign a guest's machine ID");
        var id = MachineId.New();
        var result = await guests.ExclusiveAsync(caller, hostId, uuid, "Assign machine ID", AssignAction, (host, domain) =>
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
    /// Clones a guest (see <see cref="GuestService.CloneAsync"/>); with <paramref name="newMachineId"/> (the default) the
    /// clone gets its own id: the SMBIOS credential in its XML, and, because the cloned disk still holds the source's
    /// <c>/etc/machine-id</c> (which wins over the credential), the id is written through the agent at the clone's
    /// first boot and verified to differ from the source's. virt-sysprep is not used: see README (Machine IDs).
    /// </summary>
    public async Task<GuestState> CloneAsync(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string? newName, GuestCloneDisks disks, bool newMachineId = true, CancellationToken cancellationToken = default)
    {
        if (!newMachineId)
        {
            return await guests.CloneAsync(caller, hostId, uuid, newName, disks, cancellationToken);
        }

        var id = MachineId.New();
        var clone = await guests.CloneAsync(caller, hostId, uuid, newName, disks, cancellationToken, xml => MachineIdXml.WithCredential(xml, id));
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
        await audit.WriteAsync(caller, AssignAction, GuestService.AuditTarget(hostId, clone.Uuid), AuditOutcome.Success,
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
            await audit.WriteAsync(SystemCaller, CloneFirstBootAction, GuestService.AuditTarget(hostId, uuid), AuditOutcome.Success, $"{name}: {pending.Detail}");
            return;
        }

        if (pending.State == CloneState.Flagged)
        {
            return;
        }

        GuestActionResult result;
        try
        {
            result = await guests.ExclusiveAsync(SystemCaller, hostId, uuid, "Set the clone's machine ID", CloneFirstBootAction, async (host, domain) =>
            {
                var agent = RequireRunningWithAgent(domain, name, "set its new machine ID", "it is set at its next boot");
                try
                {
                    await WriteIdAsync(agent, wanted, cancellationToken);
                    await VerifyAsync(agent, name, running, wanted, cancellationToken);
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

    private static MachineIdAgent RequireRunningWithAgent(LibvirtDomain domain, string name, string what, string otherwise)
    {
        RequireRunning(domain.GetState().State);
        if (!MachineIdAgent.IsConnected(domain))
        {
            // A guest destroyed between the two reads loses its agent channel too: say that it stopped, not that it
            // has no agent (a clean-clone run once reported the agent for a guest the test had just destroyed).
            RequireRunning(domain.GetState().State);
            throw new GuestActionException($"{name} has no connected guest agent, so VirtWeb cannot {what}. Install and start qemu-guest-agent in the guest " +
                $"(its XML needs a {GuestReader.AgentChannel} channel), or {otherwise}. Nothing was changed.");
        }

        return new MachineIdAgent(domain, name);

        void RequireRunning(DomainState state)
        {
            if (state != DomainState.Running)
            {
                throw new GuestActionException($"{name} is {GuestText.State(state).ToLowerInvariant()}; VirtWeb needs it running with its guest agent to {what}. " +
                    $"Start it, or {otherwise}. Nothing was changed.");
            }
        }
    }

    /// <summary>Runs the guest's own tool (exactly the command shown) or, without one, writes a VirtWeb id with file calls.</summary>
    private static async Task<(string Command, MachineId? Id)> RegenerateInGuestAsync(MachineIdAgent agent, string name, CancellationToken cancellationToken)
    {
        var probe = await agent.ShellAsync("command -v dbus-uuidgen || command -v systemd-machine-id-setup || true", CommandDeadline, cancellationToken);
        var tool = probe?.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        var command = tool.EndsWith("/dbus-uuidgen", StringComparison.Ordinal) ? DbusUuidgenCommand
            : tool.EndsWith("/systemd-machine-id-setup", StringComparison.Ordinal) ? SystemdSetupCommand
            : null;
        if (command is null)
        {
            var id = MachineId.New();
            await WriteIdAsync(agent, id, cancellationToken, execAvailable: probe is not null);
            return ("VirtWeb-generated id written through guest-file-write", id);
        }

        var run = await agent.ShellAsync(command, CommandDeadline, cancellationToken)
            ?? throw new MachineIdAgentException($"The guest agent of {name} stopped allowing guest-exec; nothing was recorded.");
        if (run.ExitCode != 0)
        {
            throw new MachineIdAgentException($"'{command}' failed in {name} (exit {run.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "by signal"}): {run.StandardError.Trim()}. Nothing was recorded.");
        }

        await agent.ShellAsync(LinkDbusCommand, CommandDeadline, cancellationToken);
        return (command, null);
    }

    /// <summary>Writes <paramref name="id"/> to /etc/machine-id with the agent's file calls and keeps the D-Bus copy the same.</summary>
    private static async Task WriteIdAsync(MachineIdAgent agent, MachineId id, CancellationToken cancellationToken, bool execAvailable = true)
    {
        await agent.WriteTextAsync(MachineIdAgent.EtcMachineId, id.Value + "\n", cancellationToken);
        if (execAvailable && await agent.ShellAsync(LinkDbusCommand, CommandDeadline, cancellationToken) is not null)
        {
            return;
        }

        // No guest-exec: a D-Bus copy that exists is overwritten (through a link that writes /etc/machine-id again).
        if (await agent.ReadTextAsync(MachineIdAgent.DbusMachineId, cancellationToken) is not null)
        {
            await agent.WriteTextAsync(MachineIdAgent.DbusMachineId, id.Value + "\n", cancellationToken);
        }
    }

    /// <summary>Reads the id back: valid, not the old one, the expected one if known, and the D-Bus copy agreeing.</summary>
    private static async Task<MachineId> VerifyAsync(MachineIdAgent agent, string name, MachineId? before, MachineId? expected, CancellationToken cancellationToken)
    {
        var (after, problem) = await agent.ReadMachineIdAsync(MachineIdAgent.EtcMachineId, cancellationToken);
        if (after is not { } id)
        {
            throw new MachineIdAgentException($"After the change, {name}'s /etc/machine-id is not a machine ID ({problem ?? "the file is missing"}); check the guest. Nothing was recorded.");
        }

        if (id == before)
        {
            throw new MachineIdAgentException($"{name}'s machine ID is still {id.Value} after the change (an SMBIOS credential or a read-only /etc may bring it back); nothing was recorded.");
        }

        if (expected is { } wanted && id != wanted)
        {
            throw new MachineIdAgentException($"{name}'s /etc/machine-id reads {id.Value}, not the {wanted.Value} VirtWeb wrote; nothing was recorded.");
        }

        var (dbus, _) = await agent.ReadMachineIdAsync(MachineIdAgent.DbusMachineId, cancellationToken);
        if (dbus is { } dbusId && dbusId != id)
        {
            throw new MachineIdAgentException($"{name}'s /var/lib/dbus/machine-id ({dbusId.Value}) does not follow /etc/machine-id ({id.Value}); link them by hand. Nothing was recorded.");
        }

        return id;
    }
}

/// <summary>The states of <see cref="MachineIdCloneRecord.State"/>.</summary>
public static class CloneState
{
    public const string Pending = "Pending";
    public const string Verified = "Verified";
    public const string Flagged = "Flagged";
}

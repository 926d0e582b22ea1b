namespace VirtWeb.MachineIds;

/// <summary>
/// What <see cref="MachineIdService"/> does inside a running guest through its agent: the guest's own tool or a
/// VirtWeb-generated id written with file calls, the D-Bus copy kept linked, and the read-back that verifies it.
/// </summary>
public static class MachineIdInGuest
{
    public const string DbusUuidgenCommand = "rm -f /etc/machine-id && dbus-uuidgen --ensure=/etc/machine-id";
    public const string SystemdSetupCommand = "rm -f /etc/machine-id && systemd-machine-id-setup";

    // Links the D-Bus copy to /etc/machine-id, as distributions ship it, so both always say the same.
    private const string LinkDbusCommand = "if [ -d /var/lib/dbus ]; then ln -sf /etc/machine-id /var/lib/dbus/machine-id; fi; sync";

    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(30);

    internal static MachineIdAgent RequireRunningWithAgent(LibvirtDomain domain, string name, string what, string otherwise)
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
    internal static async Task<(string Command, MachineId? Id)> RegenerateInGuestAsync(MachineIdAgent agent, string name, CancellationToken cancellationToken)
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
    internal static async Task WriteIdAsync(MachineIdAgent agent, MachineId id, CancellationToken cancellationToken, bool execAvailable = true)
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
    internal static async Task<MachineId> VerifyAsync(MachineIdAgent agent, string name, MachineId? before, MachineId? expected, CancellationToken cancellationToken)
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

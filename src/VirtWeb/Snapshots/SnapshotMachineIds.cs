using VirtWeb.Libvirt;
using VirtWeb.MachineIds;

namespace VirtWeb.Snapshots;

/// <summary>
/// A revert can bring back an older <c>/etc/machine-id</c> than the guest ran with (the id was regenerated after the
/// snapshot). Read through the agent before and after the revert of a running guest; when they differ the registry
/// records the id the guest now runs with, flagged, so the Machine IDs page shows it and any duplicate it makes again.
/// </summary>
public sealed class SnapshotMachineIds(MachineIdRegistry registry, MachineIdService machineIds, ILogger<SnapshotMachineIds> logger)
{
    private static readonly TimeSpan AgentDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AgentRetry = TimeSpan.FromMilliseconds(500);

    /// <summary>The id the guest runs with now, or null when no agent answers (then nothing is compared).</summary>
    public async Task<MachineId?> ReadAsync(LibvirtDomain domain)
    {
        if (!domain.IsActive || !MachineIdAgent.IsConnected(domain))
        {
            return null;
        }

        try
        {
            return (await new MachineIdAgent(domain, domain.Name, timeoutSeconds: 5).ReadMachineIdAsync(MachineIdAgent.EtcMachineId)).Id;
        }
        catch (MachineIdAgentException e)
        {
            logger.LogDebug(e, "No machine ID before reverting {Guest}.", domain.Name);
            return null;
        }
    }

    /// <summary>After the revert: waits for the agent to answer again, compares, and flags a changed id. Returns a sentence for the user, or null.</summary>
    public async Task<string?> CompareAfterRevertAsync(Guid hostId, LibvirtDomain domain, MachineId? before, string snapshot)
    {
        if (before is not { } previous || !domain.IsActive)
        {
            return null;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await new MachineIdAgent(domain, domain.Name, timeoutSeconds: 5).ReadMachineIdAsync(MachineIdAgent.EtcMachineId)).Id is not { } now)
                {
                    return null;
                }

                if (now.Value == previous.Value)
                {
                    return null;
                }

                await registry.RecordAsync(new MachineIdObservation(
                    machineIds.GuestSubject(hostId, domain.Uuid), MachineIdSubjectKind.Guest, hostId, domain.Uuid, domain.Name, MachineIdSource.GuestAgent, now,
                    Note: $"Brought back by reverting to snapshot {snapshot}; the guest ran with {previous.Value} before.", Flagged: true));
                return $" The revert brought back machine ID {now.Value} (it ran with {previous.Value}); the Machine IDs page flags it.";
            }
            catch (MachineIdAgentException) when (clock.Elapsed < AgentDeadline)
            {
                // The agent channel reconnects after the guest's memory came back.
                await Task.Delay(AgentRetry);
            }
            catch (MachineIdAgentException e)
            {
                logger.LogInformation(e, "Could not read {Guest}'s machine ID after reverting to {Snapshot}.", domain.Name, snapshot);
                return null;
            }
        }
    }
}

using VirtWeb.Guests;
using VirtWeb.Libvirt;

namespace VirtWeb.Snapshots;

/// <summary>The revert of <see cref="SnapshotService"/>: internal snapshots through libvirt, external ones through <see cref="SnapshotExternalRevert"/>.</summary>
public sealed partial class SnapshotService
{
    private async Task<string> RevertAsync(WatchedHost host, LibvirtDomain domain, string name, bool safetySnapshot)
    {
        var hostId = host.HostId;
        using var snapshot = Find(domain, name);
        var tree = SnapshotReader.Read(hostId, domain);
        var target = tree.Find(name) ?? throw Gone(domain, name);
        var external = target.Kind == SnapshotKind.External;
        if (external && SnapshotExternalRevert.Problem(domain, target) is { } problem)
        {
            throw new GuestActionException(problem);
        }

        var pools = external ? RefreshDiskPools(domain) : [];
        string? safety = null;
        if (safetySnapshot)
        {
            // The same kind as the target: VirtWeb keeps one kind per guest, so every snapshot stays deletable.
            safety = SafetyName(tree, name);
            var input = new SnapshotCreateInput(safety, $"The state of {domain.Name} before reverting to {name}.", target.Kind, WithMemory: domain.IsActive && !external);
            var plan = Plan(hostId, domain, input);
            if (plan.Cost.Refusal is { } refusal)
            {
                throw new GuestActionException($"Did not revert: the safety snapshot cannot be taken. {refusal} Untick the safety snapshot to revert anyway (the present state is then lost).");
            }

            var quiesced = plan.Cost.Quiesce;
            TakeSnapshot(domain, plan, ref quiesced);
        }

        var idBefore = await machineIds.ReadAsync(domain);
        string state;
        if (external)
        {
            var wasRunning = domain.IsActive;
            try
            {
                var fresh = SnapshotExternalRevert.Revert(domain, tree.Find(name)!);
                state = $"{(wasRunning ? "stopped by the revert and " : "")}shut off as it was then (a disk-only snapshot holds no memory), writing into the fresh overlay {string.Join(", ", fresh)}";
            }
            finally
            {
                await RefreshPoolsAsync(host, pools);
            }
        }
        else
        {
            snapshot.Revert();
            state = target.Mode == SnapshotMode.RunningWithMemory ? "running on from that moment" : "shut off as it was then";
        }

        var idChange = await machineIds.CompareAfterRevertAsync(hostId, domain, idBefore, name);
        return (safety is null
            ? $"Reverted {domain.Name} to {name}, {state}."
            : $"Reverted {domain.Name} to {name}, {state}; the state before is kept as snapshot {safety}.") + idChange;
    }

    private static string SafetyName(SnapshotTree tree, string target)
    {
        var stem = $"before-{target}";
        stem = stem.Length > 200 ? stem[..200] : stem;
        var name = $"{stem}-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        for (var i = 2; tree.Find(name) is not null; i++)
        {
            name = $"{stem}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{i}";
        }

        return name;
    }
}

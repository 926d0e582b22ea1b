using System.Runtime.CompilerServices;
using System.Security.Claims;
using VirtWeb.Access;
using VirtWeb.Guests;
using VirtWeb.Hosts;
using VirtWeb.Images;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Snapshots;

/// <summary>
/// Snapshots of guests: the tree, create, revert, delete and compare. Whoever may see the guest sees its snapshots;
/// Operators and Administrators act (grants on the guest apply), each action checked here, audited under
/// <c>/hosts/{host}/guests/{uuid}</c> and run under the guest's <see cref="GuestActionLock"/>, so it never overlaps
/// a power action, a delete or another snapshot action. After every action the tree is read again and handed to every
/// page showing it (<see cref="SnapshotTrees"/>), whether the action worked or not, so the tree and the files agree.
/// </summary>
public sealed partial class SnapshotService(
    IHostConnections hostConnections,
    GuestActionLock actions,
    AccessControl access,
    SnapshotTrees trees,
    StorageWatcher storage,
    StorageRoots roots,
    SnapshotMachineIds machineIds,
    SnapshotRepairs repairs)
{
    public async Task<SnapshotTree> ReadTreeAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.View, "snapshot.read", AccessPaths.Guest(hostId, uuid), "see this guest's snapshots");
        var connection = hostConnections.GuestConnection(hostId);
        return await Task.Run(() =>
        {
            using var domain = GuestLookups.Domain(connection, uuid);
            return trees.ReadNow(hostId, domain);
        }, cancellationToken);
    }

    /// <summary>The tree now and after every change, for a page; refused like <see cref="ReadTreeAsync"/>.</summary>
    public async IAsyncEnumerable<SnapshotTree> WatchAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await access.RequireAsync(caller, Permission.View, "snapshot.read", AccessPaths.Guest(hostId, uuid), "see this guest's snapshots");
        await foreach (var tree in trees.WatchAsync(hostId, uuid, cancellationToken))
        {
            yield return tree;
        }
    }

    /// <summary>What <paramref name="input"/> would cost and whether it can be taken, without taking it.</summary>
    public async Task<SnapshotCost> ReadCostAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, SnapshotCreateInput input, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.View, "snapshot.read", AccessPaths.Guest(hostId, uuid), "see this guest's snapshots");
        var connection = hostConnections.GuestConnection(hostId);
        return await Task.Run(() =>
        {
            using var domain = GuestLookups.Domain(connection, uuid);
            return Plan(hostId, domain, input).Cost;
        }, cancellationToken);
    }

    /// <summary>The line difference from snapshot <paramref name="name"/>'s saved definition to the guest's present one.</summary>
    public async Task<SnapshotComparison> ReadComparisonAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, string name, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.View, "snapshot.read", AccessPaths.Guest(hostId, uuid), "see this guest's snapshots");
        var connection = hostConnections.GuestConnection(hostId);
        return await Task.Run(() =>
        {
            using var domain = GuestLookups.Domain(connection, uuid);
            using var snapshot = Find(domain, name);
            var saved = snapshot.GetDefinition().DomainXml
                ?? throw new GuestActionException($"Snapshot {name} holds no definition of {domain.Name} to compare with.");
            var current = domain.GetXml(domain.IsActive ? DomainXmlFlags.None : DomainXmlFlags.Inactive);
            var before = Pretty(saved);
            var after = Pretty(current);
            return new SnapshotComparison(name, before, after, LineDiff.Compute(before, after));
        }, cancellationToken);
    }

    public async Task<GuestActionResult> CreateAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, SnapshotCreateInput input, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, "snapshot.create", AccessPaths.Guest(hostId, uuid), "take snapshots");
        return await AfterwardsRefreshAsync(hostId, uuid, actions.RunAsync(caller, hostId, uuid, "Snapshot", "snapshot.create",
            async (host, domain) => await repairs.RepairFirstAsync(hostId, domain) + await Create(host, domain, input), cancellationToken, ownConnection: true));
    }

    /// <summary>
    /// Brings the guest back to snapshot <paramref name="name"/>. With <paramref name="safetySnapshot"/> (the dialog's
    /// default) the present state is first kept as a snapshot of its own, so a wrong revert can itself be reverted.
    /// </summary>
    public async Task<GuestActionResult> RevertAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, string name, bool safetySnapshot, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, "snapshot.revert", AccessPaths.Guest(hostId, uuid), "revert to snapshots");
        return await AfterwardsRefreshAsync(hostId, uuid, actions.RunAsync(caller, hostId, uuid, "Revert", "snapshot.revert",
            async (host, domain) => await repairs.RepairFirstAsync(hostId, domain) + await RevertAsync(host, domain, name, safetySnapshot), cancellationToken, ownConnection: true));
    }

    /// <summary>Deletes snapshot <paramref name="name"/> (its children move to its parent), or with <paramref name="withDescendants"/> it and everything below it.</summary>
    public async Task<GuestActionResult> DeleteAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, string name, bool withDescendants, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, "snapshot.delete", AccessPaths.Guest(hostId, uuid), "delete snapshots");
        return await AfterwardsRefreshAsync(hostId, uuid, actions.RunAsync(caller, hostId, uuid, "Delete snapshot", "snapshot.delete",
            async (host, domain) => await repairs.RepairFirstAsync(hostId, domain) + await Delete(host, domain, name, withDescendants), cancellationToken));
    }

    /// <summary>Removes an overlay a cut-off create left on the guest's disk (<see cref="SnapshotTree.Leftovers"/>), checked again first.</summary>
    public async Task<GuestActionResult> RemoveLeftoverAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, string path, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, "snapshot.leftover.remove", AccessPaths.Guest(hostId, uuid), "remove snapshot leftovers");
        return await AfterwardsRefreshAsync(hostId, uuid, actions.RunAsync(caller, hostId, uuid, "Remove leftover", "snapshot.leftover.remove", async (host, domain) =>
        {
            var pools = RefreshDiskPools(domain);
            try
            {
                var first = await repairs.RepairFirstAsync(hostId, domain);
                return first + SnapshotLeftovers.Remove(domain, SnapshotReader.Read(hostId, domain), path ?? "");
            }
            finally
            {
                await RefreshPoolsAsync(host, pools);
            }
        }, cancellationToken));
    }

    private async Task<GuestActionResult> AfterwardsRefreshAsync(Guid hostId, Guid uuid, Task<GuestActionResult> action)
    {
        try
        {
            return await action;
        }
        finally
        {
            await trees.RefreshAsync(hostId, uuid);
        }
    }

    private SnapshotPlan Plan(Guid hostId, LibvirtDomain domain, SnapshotCreateInput input)
    {
        input = input with { Name = input.Name ?? "", Description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim() };
        var tree = SnapshotReader.Read(hostId, domain);
        var agent = domain.IsActive && domain.GetDefinition().Channels.Any(c => c.TargetName == GuestReader.AgentChannel && c.TargetState == "connected");
        return SnapshotPlanner.Plan(domain, tree, input, agent, roots);
    }

    private async Task<string> Create(WatchedHost host, LibvirtDomain domain, SnapshotCreateInput input)
    {
        var pools = RefreshDiskPools(domain);
        var plan = Plan(host.HostId, domain, input);
        if (plan.Cost.Refusal is { } refusal)
        {
            throw new GuestActionException(refusal);
        }

        var quiesced = plan.Cost.Quiesce;
        if (input.Kind == SnapshotKind.External)
        {
            // Should libvirtd die under the create, SnapshotRepairs knows what it was making when the host is back.
            repairs.Begin(new SnapshotInFlight(host.HostId, domain.Uuid, input.Name, input.Description, plan.NewOverlays));
        }

        try
        {
            TakeSnapshot(domain, plan, ref quiesced);
            repairs.End(host.HostId, domain.Uuid);
        }
        catch (Exception e) when (e is LibvirtException or ObjectDisposedException)
        {
            // Nothing half-made: an overlay libvirt left behind is removed, if no one uses it. With libvirtd gone
            // meanwhile that waits for the repair (SnapshotRepairs), and this error, not the clean-up's, is the answer.
            ConnectionLoss.Quietly(domain.Connection, () => RemoveLeftovers(domain.Connection, plan.NewOverlays));
            if (!ConnectionLoss.IsLost(domain.Connection))
            {
                repairs.End(host.HostId, domain.Uuid);
            }

            if (PoolFull.Is(e) && plan.Cost.PoolName is { } full)
            {
                // libvirt keeps no metadata of a snapshot that failed, and QEMU no entry in the qcow2's table.
                throw new GuestActionException(PoolFull.Message(full, $"snapshot {input.Name} of {domain.Name} was taken",
                    input.Kind == SnapshotKind.External ? "no overlay file and no snapshot were kept" : "no snapshot was kept"), e);
            }

            throw;
        }
        finally
        {
            await RefreshPoolsAsync(host, pools);
        }

        var what = plan.Cost switch
        {
            { WithMemory: true } => "with memory: the guest resumes exactly here",
            { Kind: SnapshotKind.External } => $"disk-only, in new overlay{(plan.NewOverlays.Count == 1 ? "" : "s")} {string.Join(", ", plan.NewOverlays)}",
            _ => "of the disks",
        };
        var quiesce = plan.Cost.Quiesce
            ? quiesced ? "; file systems frozen through the guest agent while it was taken" : "; not quiesced: the guest agent could not freeze the file systems"
            : "";
        return $"Took snapshot {input.Name} of {domain.Name}, {what}{quiesce}.";
    }

    private static void TakeSnapshot(LibvirtDomain domain, SnapshotPlan plan, ref bool quiesced)
    {
        try
        {
            domain.CreateSnapshot(plan.Xml, plan.Flags).Dispose();
        }
        catch (LibvirtException) when (quiesced)
        {
            // fsfreeze failed (an agent without it, a file system that cannot freeze): take it crash-consistent and say so.
            quiesced = false;
            domain.CreateSnapshot(plan.Xml, plan.Flags & ~SnapshotCreateFlags.Quiesce).Dispose();
        }
    }

    private async Task<string> Delete(WatchedHost host, LibvirtDomain domain, string name, bool withDescendants)
    {
        using var snapshot = Find(domain, name);
        var tree = SnapshotReader.Read(host.HostId, domain);
        var target = tree.Find(name) ?? throw Gone(domain, name);
        var doomed = withDescendants ? tree.DescendantsOf(name).Prepend(target).ToList() : [target];
        if (doomed.All(s => s.Kind == SnapshotKind.Internal))
        {
            snapshot.Delete(withDescendants ? SnapshotDeleteFlags.Children : SnapshotDeleteFlags.None);
            return withDescendants && doomed.Count > 1
                ? $"Deleted snapshot {name} of {domain.Name} and the {doomed.Count - 1} below it."
                : $"Deleted snapshot {name} of {domain.Name}{(tree.ChildrenOf(name).Any() ? "; its children now hang from its parent" : "")}.";
        }

        // External: newest first, each merged into the file below it, so that every step leaves a whole chain.
        var pools = RefreshDiskPools(domain);
        var removed = new List<string>();
        try
        {
            foreach (var external in doomed.AsEnumerable().Reverse())
            {
                var now = SnapshotReader.Read(host.HostId, domain);
                var current = now.Find(external.Name) ?? throw Gone(domain, external.Name);
                var topOnItsFile = SnapshotMerge.Abandoned(domain, now, current) ? SnapshotMerge.ProblemOfTopOnItsFile(domain, now, current) : null;
                if (topOnItsFile is { Length: > 0 })
                {
                    throw new GuestActionException(removed.Count == 0 ? topOnItsFile : $"Deleted {string.Join(", ", removed)}, then stopped: {topOnItsFile}");
                }

                if (topOnItsFile is null && SnapshotMerge.Abandoned(domain, now, current))
                {
                    // A branch a revert left: nothing to merge; its overlays go unless another file or snapshot needs them.
                    var named = SnapshotFiles.OverlaysNamed(domain);
                    using (var dropped = domain.GetSnapshot(external.Name))
                    {
                        dropped.Delete(SnapshotDeleteFlags.MetadataOnly);
                    }

                    SnapshotExternalRevert.CollectUnused(domain, current.Disks.Select(d => d.OverlayPath).OfType<string>(), named);
                    removed.Add(external.Name);
                    continue;
                }

                if (topOnItsFile is null && SnapshotMerge.Problem(domain, now, current) is { } problem)
                {
                    throw new GuestActionException(removed.Count == 0 ? problem : $"Deleted {string.Join(", ", removed)}, then stopped: {problem}");
                }

                foreach (var overlay in SnapshotMerge.Merge(domain, current))
                {
                    DeleteOverlay(domain.Connection, overlay);
                }

                var namedBefore = SnapshotFiles.OverlaysNamed(domain);
                using (var merged = domain.GetSnapshot(external.Name))
                {
                    merged.Delete(SnapshotDeleteFlags.MetadataOnly);
                }

                if (topOnItsFile is not null)
                {
                    // Its own overlay lay on the branch the revert left.
                    SnapshotExternalRevert.CollectUnused(domain, current.Disks.Select(d => d.OverlayPath).OfType<string>(), namedBefore);
                }

                removed.Add(external.Name);
            }
        }
        finally
        {
            await RefreshPoolsAsync(host, pools);
        }

        return $"Merged and deleted snapshot{(removed.Count == 1 ? "" : "s")} {string.Join(", ", removed)} of {domain.Name}; its disks are the files they were before, with everything written since.";
    }

    /// <summary>Deletes a merged overlay unless another guest uses it or another file is backed by it.</summary>
    private static void DeleteOverlay(LibvirtConnection connection, string path)
    {
        using var volume = connection.GetStorageVolumeByPath(path);
        if (DiskUsage.Read(connection).GuestsUsing(PoolName(volume), volume.Name, path) is { Count: > 0 } users)
        {
            throw new GuestActionException($"The snapshot was merged, but its overlay {path} is still used by {string.Join(", ", users)}; it is kept.");
        }

        if (ImageOperations.OverlaysOf(connection, path) is { Count: > 0 } overlays)
        {
            throw new GuestActionException($"The snapshot was merged, but {string.Join(", ", overlays)} are backed by its overlay {path}; it is kept.");
        }

        volume.Delete();
    }

    private static string PoolName(LibvirtStorageVolume volume)
    {
        using var pool = volume.GetPool();
        return pool.Name;
    }

    private static void RemoveLeftovers(LibvirtConnection connection, IReadOnlyList<string> overlays)
    {
        foreach (var overlay in overlays)
        {
            try
            {
                using var volume = connection.GetStorageVolumeByPath(overlay);
                using var pool = volume.GetPool();
                if (DiskUsage.Read(connection).GuestsUsing(pool.Name, volume.Name, overlay).Count == 0)
                {
                    volume.Delete();
                }
            }
            catch (LibvirtException)
            {
                // Never made, or its pool does not list it yet (refreshed just before).
            }
        }
    }

    /// <summary>Refreshes the pools holding the guest's disks (overlays appear and disappear beside them) and returns them.</summary>
    private static List<(Guid Uuid, string Name)> RefreshDiskPools(LibvirtDomain domain)
    {
        var pools = new List<(Guid, string)>();
        foreach (var disk in domain.GetDefinition().Disks.Where(d => d.Device == "disk"))
        {
            using var volume = GuestLookups.FindVolume(domain.Connection, disk);
            if (volume is null)
            {
                continue;
            }

            using var pool = volume.GetPool();
            if (pools.All(p => p.Item1 != pool.Uuid))
            {
                ImageOperations.TryRefresh(pool);
                pools.Add((pool.Uuid, pool.Name));
            }
        }

        return pools;
    }

    // Runs in a finally: on a connection that died meanwhile (libvirtd gone), before or during it, it must not replace
    // the action's own error; the host's resync re-reads its pools when it reconnects.
    private Task RefreshPoolsAsync(WatchedHost host, IEnumerable<(Guid Uuid, string Name)> pools) =>
        ConnectionLoss.QuietlyAsync(host.Connection, async () =>
        {
            foreach (var (poolUuid, _) in pools)
            {
                try
                {
                    using var pool = host.Connection.GetStoragePoolByUuid(poolUuid);
                    ImageOperations.TryRefresh(pool);
                }
                catch (LibvirtException) when (!ConnectionLoss.IsLost(host.Connection))
                {
                    // The pool went away; the Images page hears of that from libvirt.
                }

                await storage.RefreshPoolAsync(host.HostId, host.Connection, poolUuid);
            }
        });

    private static LibvirtDomainSnapshot Find(LibvirtDomain domain, string? name) =>
        (string.IsNullOrEmpty(name) ? null : domain.FindSnapshot(name)) ?? throw Gone(domain, name ?? "");

    private static GuestActionException Gone(LibvirtDomain domain, string name) =>
        new($"{domain.Name} has no snapshot named '{name}' (any more); someone may have deleted it. The list shows what there is now.");

    private static string Pretty(string xml) => System.Xml.Linq.XDocument.Parse(xml).ToString();
}

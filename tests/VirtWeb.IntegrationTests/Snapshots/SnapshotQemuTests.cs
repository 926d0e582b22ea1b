using System.Text;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.Snapshots;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Snapshots;

/// <summary>
/// Issue #16's acceptance on libvirtd + QEMU with one tiny guest booted for all of them, checked against the files with
/// <c>qemu-img</c> and inside the guest through its agent. Each test leaves the guest running without snapshots.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class SnapshotQemuTests(VirtWebFactory factory, SnapshotQemuGuest guest) : IntegrationTest(factory), IClassFixture<SnapshotQemuGuest>
{
    private const string BootIdFile = "/proc/sys/kernel/random/boot_id";

    protected override TimeSpan Deadline => TimeSpan.FromSeconds(120);

    private SnapshotService Snapshots => Service<SnapshotService>();

    private static ClaimsPrincipal Operator => QemuPool.Operator;

    [Fact]
    public async Task MemorySnapshot_FileWrittenThenReverted_FileGoneAndGuestRunsOnWithoutReboot()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var bootId = await guest.Agent.ReadTextFileAsync(BootIdFile);
        var uptimeAtSnapshot = await UptimeAsync();

        var taken = await Snapshots.CreateAsync(Operator, hostId, guest.Uuid, new SnapshotCreateInput("vwsnap-mem", "before the file", SnapshotKind.Internal, WithMemory: true));
        Assert.True(taken.Done, taken.Message);
        Assert.Contains("vwsnap-mem", SnapshotQemuGuest.InternalSnapshotsIn(guest.DiskPath));
        var shown = (await Snapshots.ReadTreeAsync(Operator, hostId, guest.Uuid)).Find("vwsnap-mem")!;
        var vmSize = SnapshotQemuGuest.VmStateSizeIn(guest.DiskPath, "vwsnap-mem");
        Assert.True(vmSize > 0, "QEMU saved the memory into the qcow2");
        Assert.True(shown.SavedMemoryBytes == vmSize, $"the tab's memory state {shown.SavedMemoryBytes} is qemu-img's VM SIZE {vmSize} ({shown.SavedMemoryUnknown})");
        Assert.Contains($"memory state {VirtWeb.Images.ImageNames.Bytes(vmSize)} in the qcow2", SnapshotText.Size(shown), StringComparison.Ordinal);
        await guest.Agent.WriteFileAsync("/sysroot/vwsnap-mem.txt", Encoding.UTF8.GetBytes("written after the snapshot"));
        Assert.Equal("written after the snapshot", await guest.Agent.ReadTextFileAsync("/sysroot/vwsnap-mem.txt"));

        var reverted = await Snapshots.RevertAsync(Operator, hostId, guest.Uuid, "vwsnap-mem", safetySnapshot: false);
        await guest.WaitForAgentAsync(Deadline);

        Assert.True(reverted.Done, reverted.Message);
        Assert.False(await ExistsInGuestAsync("/sysroot/vwsnap-mem.txt"), "the file written after the snapshot is gone");
        Assert.Equal(bootId, await guest.Agent.ReadTextFileAsync(BootIdFile));
        Assert.True(await UptimeAsync() >= uptimeAtSnapshot, "the guest's uptime counts on from the snapshot");
        Assert.Equal(DomainState.Running, guest.Guest.Domain.GetState().State);
        await DeleteAllAsync(hostId);
        Assert.DoesNotContain("vwsnap-mem", SnapshotQemuGuest.InternalSnapshotsIn(guest.DiskPath));
    }

    [Fact]
    public async Task Revert_SnapshotHoldsAnOlderMachineId_RegistryFlagsTheIdItBroughtBack()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var old = (await guest.Agent.ReadTextFileAsync("/etc/machine-id")).Trim();
        await Snapshots.CreateAsync(Operator, hostId, guest.Uuid, new SnapshotCreateInput("vwsnap-mid", null, SnapshotKind.Internal, WithMemory: true));
        var regenerated = TinyGuest.NewMachineId();
        await guest.Agent.WriteFileAsync("/etc/machine-id", Encoding.ASCII.GetBytes(regenerated + "\n"));

        var reverted = await Snapshots.RevertAsync(Operator, hostId, guest.Uuid, "vwsnap-mid", safetySnapshot: false);

        Assert.Contains($"brought back machine ID {old} (it ran with {regenerated})", reverted.Message, StringComparison.Ordinal);
        var machineIds = Service<VirtWeb.MachineIds.MachineIdService>();
        var entry = await Eventually.ValueAsync(
            () => Service<VirtWeb.MachineIds.MachineIdRegistry>().Entries.Find(VirtWeb.MachineIds.MachineIdEntry.KeyOf(machineIds.GuestSubject(hostId, guest.Uuid), VirtWeb.MachineIds.MachineIdSource.GuestAgent)),
            e => e.MachineId == old, Deadline, "the registry holds the id the revert brought back");
        Assert.True(entry.Flagged, entry.Note);
        Assert.Contains("vwsnap-mid", entry.Note, StringComparison.Ordinal);
        Assert.Equal(old, (await guest.Agent.ReadTextFileAsync("/etc/machine-id")).Trim());
        await DeleteAllAsync(hostId);
    }

    [Fact]
    public async Task ExternalDiskOnly_Running_OverlayOnTheOldDiskThenDeleteMergesBack()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var overlay = SnapshotPlanner.OverlayPath(guest.DiskPath, "vwsnap-ext");

        var taken = await Snapshots.CreateAsync(Operator, hostId, guest.Uuid, new SnapshotCreateInput("vwsnap-ext", null, SnapshotKind.External, WithMemory: false));
        try
        {
            await WritesIntoTheOverlayThenMergesAsync(hostId, overlay, taken);
        }
        catch
        {
            // Leave the guest as the other tests expect it: merged, without snapshots.
            await Snapshots.DeleteAsync(Operator, hostId, guest.Uuid, "vwsnap-ext", withDescendants: false);
            throw;
        }
    }

    private async Task WritesIntoTheOverlayThenMergesAsync(Guid hostId, string overlay, GuestActionResult taken)
    {
        Assert.True(taken.Done, taken.Message);
        Assert.Contains(overlay, taken.Message, StringComparison.Ordinal);
        Assert.Contains("file systems frozen through the guest agent", taken.Message, StringComparison.Ordinal);
        Assert.Equal([overlay, guest.DiskPath], SnapshotQemuGuest.BackingChainOf(overlay));
        Assert.Equal(overlay, guest.Guest.Domain.GetDefinition().Disks.Single(d => d.Device == "disk").SourceFile);
        var listed = Store.Volumes.Current(v => v.HostId == hostId && v.Path == overlay).Single();
        Assert.Equal([guest.DiskPath], listed.BackingChain);
        var tree = await Snapshots.ReadTreeAsync(Operator, hostId, guest.Uuid);
        Assert.Empty(tree.Leftovers);
        Assert.Equal(SnapshotKind.External, tree.Find("vwsnap-ext")!.Kind);
        Assert.Equal(SnapshotMode.DiskOnly, tree.Find("vwsnap-ext")!.Mode);

        var before = QemuPool.AllocatedBytes(overlay);
        Assert.Equal(0, (await guest.Agent.ExecAsync("/bin/sh", ["-c", "dd if=/dev/urandom of=/sysroot/vwsnap-ext.bin bs=1M count=4"])).ExitCode);
        await guest.Agent.WriteFileAsync("/sysroot/vwsnap-ext-mark.txt", Encoding.UTF8.GetBytes("kept through the merge"));
        Assert.Equal(0, (await guest.Agent.ExecAsync("/bin/sync")).ExitCode);
        Assert.True(QemuPool.AllocatedBytes(overlay) > before, "the guest writes into the overlay");

        var deleted = await Snapshots.DeleteAsync(Operator, hostId, guest.Uuid, "vwsnap-ext", withDescendants: false);

        Assert.True(deleted.Done, deleted.Message);
        Assert.Equal(guest.DiskPath, guest.Guest.Domain.GetDefinition().Disks.Single(d => d.Device == "disk").SourceFile);
        Assert.Equal(guest.DiskPath, guest.Guest.Domain.GetDefinition(DomainXmlFlags.Inactive).Disks.Single(d => d.Device == "disk").SourceFile);
        Assert.Equal([guest.DiskPath], SnapshotQemuGuest.BackingChainOf(guest.DiskPath));
        Assert.False(File.Exists(overlay), "the merged overlay is removed");
        Assert.Empty(Store.Volumes.Current(v => v.HostId == hostId && v.Path == overlay));
        Assert.Empty((await Snapshots.ReadTreeAsync(Operator, hostId, guest.Uuid)).Snapshots);
        await DropCachesAsync();
        Assert.Equal("kept through the merge", await guest.Agent.ReadTextFileAsync("/sysroot/vwsnap-ext-mark.txt"));
        await guest.Agent.ExecAsync("/bin/rm", ["-f", "/sysroot/vwsnap-ext.bin", "/sysroot/vwsnap-ext-mark.txt"]);
    }

    [Fact]
    public async Task RevertWithSafetySnapshot_RevertBackToIt_StateBeforeTheFirstRevertIsBack()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        await Snapshots.CreateAsync(Operator, hostId, guest.Uuid, new SnapshotCreateInput("vwsnap-a", null, SnapshotKind.Internal, WithMemory: true));
        await guest.Agent.WriteFileAsync("/sysroot/vwsnap-before.txt", Encoding.UTF8.GetBytes("the state before the revert"));

        var first = await Snapshots.RevertAsync(Operator, hostId, guest.Uuid, "vwsnap-a", safetySnapshot: true);
        await guest.WaitForAgentAsync(Deadline);
        Assert.True(first.Done, first.Message);
        var safety = (await Snapshots.ReadTreeAsync(Operator, hostId, guest.Uuid)).Snapshots.Single(s => s.Name.StartsWith("before-vwsnap-a-", StringComparison.Ordinal));
        Assert.Contains(safety.Name, SnapshotQemuGuest.InternalSnapshotsIn(guest.DiskPath));
        Assert.False(await ExistsInGuestAsync("/sysroot/vwsnap-before.txt"));
        await guest.Agent.WriteFileAsync("/sysroot/vwsnap-after.txt", Encoding.UTF8.GetBytes("the state after the first revert"));

        var back = await Snapshots.RevertAsync(Operator, hostId, guest.Uuid, safety.Name, safetySnapshot: false);
        await guest.WaitForAgentAsync(Deadline);

        Assert.True(back.Done, back.Message);
        Assert.Equal("the state before the revert", await guest.Agent.ReadTextFileAsync("/sysroot/vwsnap-before.txt"));
        Assert.False(await ExistsInGuestAsync("/sysroot/vwsnap-after.txt"), "the state after the first revert is gone");
        await guest.Agent.ExecAsync("/bin/rm", ["-f", "/sysroot/vwsnap-before.txt"]);
        await DeleteAllAsync(hostId);
        Assert.DoesNotContain(SnapshotQemuGuest.InternalSnapshotsIn(guest.DiskPath), n => n.Contains("vwsnap", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TreeOfThreeLevels_DeleteTheMiddle_ChildHangsFromTheRootAndTheQcow2Agrees()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        foreach (var name in new[] { "vwsnap-root", "vwsnap-middle", "vwsnap-leaf" })
        {
            var taken = await Snapshots.CreateAsync(Operator, hostId, guest.Uuid, new SnapshotCreateInput(name, null, SnapshotKind.Internal, WithMemory: true));
            Assert.True(taken.Done, taken.Message);
        }

        var deleted = await Snapshots.DeleteAsync(Operator, hostId, guest.Uuid, "vwsnap-middle", withDescendants: false);
        var tree = await Snapshots.ReadTreeAsync(Operator, hostId, guest.Uuid);

        Assert.True(deleted.Done, deleted.Message);
        Assert.Equal("vwsnap-root", tree.Find("vwsnap-leaf")!.Parent);
        Assert.Null(tree.Find("vwsnap-middle"));
        Assert.Equal(["vwsnap-leaf", "vwsnap-root"], SnapshotQemuGuest.InternalSnapshotsIn(guest.DiskPath).Order(StringComparer.Ordinal));
        await DeleteAllAsync(hostId);
        Assert.Empty(SnapshotQemuGuest.InternalSnapshotsIn(guest.DiskPath));
    }

    [Fact]
    public async Task ExternalOfShutOffGuest_DeleteMergesWithoutRunningItThenGuestDeleteLeavesNoFile()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        await using var off = TinyGuest.Define(new TinyGuestOptions { NamePrefix = "vwsnap-off", WorkParent = PoolRootsOptions.DefaultRoot });
        using var pool = Connection(hostId).CreateStoragePool(
            $"<pool type='dir'><name>{$"vwsnap-off-{Guid.NewGuid():N}"[..24]}</name><target><path>{System.Security.SecurityElement.Escape(off.WorkDirectory)}</path></target></pool>");
        try
        {
            var first = await Snapshots.CreateAsync(Operator, hostId, off.Domain.Uuid, new SnapshotCreateInput("vwsnap-one", null, SnapshotKind.External, WithMemory: false));
            Assert.True(first.Done, first.Message);
            var overlay = SnapshotPlanner.OverlayPath(off.DiskPath, "vwsnap-one");
            Assert.Equal([overlay, off.DiskPath], SnapshotQemuGuest.BackingChainOf(overlay));
            Assert.Equal(SnapshotMode.ShutOff, (await Snapshots.ReadTreeAsync(Operator, hostId, off.Domain.Uuid)).Find("vwsnap-one")!.Mode);

            var merged = await Snapshots.DeleteAsync(Operator, hostId, off.Domain.Uuid, "vwsnap-one", withDescendants: false);

            Assert.True(merged.Done, merged.Message);
            Assert.Equal(DomainState.Shutoff, off.Domain.GetState().State);
            Assert.Equal(off.DiskPath, off.Domain.GetDefinition(DomainXmlFlags.Inactive).Disks.Single(d => d.Device == "disk").SourceFile);
            Assert.False(File.Exists(overlay));

            await Snapshots.CreateAsync(Operator, hostId, off.Domain.Uuid, new SnapshotCreateInput("vwsnap-two", null, SnapshotKind.External, WithMemory: false));
            var second = SnapshotPlanner.OverlayPath(off.DiskPath, "vwsnap-two");
            var guests = Service<GuestService>();
            var refused = await Assert.ThrowsAsync<GuestActionException>(() => guests.DeleteAsync(Operator, hostId, off.Domain.Uuid, off.Name, deleteDisks: false));
            Assert.Contains("vwsnap-two", refused.Message, StringComparison.Ordinal);

            var deleted = await guests.DeleteAsync(Operator, hostId, off.Domain.Uuid, off.Name, deleteDisks: true);

            Assert.True(deleted.Done, deleted.Message);
            Assert.False(File.Exists(second), "the overlay went with the guest");
            Assert.False(File.Exists(off.DiskPath), "the file under it went too");
        }
        finally
        {
            pool.Stop();
        }
    }

    [Fact]
    public async Task External_DiskInAPoolOutsideTheRoots_RefusedAndNothingMade()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        await using var outside = TinyGuest.Define(new TinyGuestOptions { NamePrefix = "vwsnap-out" });
        using var pool = Connection(hostId).CreateStoragePool(
            $"<pool type='dir'><name>{$"vwsnap-out-{Guid.NewGuid():N}"[..24]}</name><target><path>{System.Security.SecurityElement.Escape(outside.WorkDirectory)}</path></target></pool>");
        try
        {
            var refused = await Assert.ThrowsAsync<GuestActionException>(() =>
                Snapshots.CreateAsync(Operator, hostId, outside.Domain.Uuid, new SnapshotCreateInput("vwsnap-out", null, SnapshotKind.External, WithMemory: false)));

            Assert.Contains("outside VirtWeb's storage roots", refused.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(SnapshotPlanner.OverlayPath(outside.DiskPath, "vwsnap-out")));
            Assert.Empty(outside.Domain.ListSnapshots());
        }
        finally
        {
            pool.Stop();
        }
    }

    [Fact]
    public async Task CreateCutOffHalfWay_LeftoverOverlayAfterRescan_TreeNamesItAndRemoveMakesFilesAgree()
    {
        // What libvirtd killed between making the overlay and writing the metadata leaves; its restart rescans the pool.
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var leftover = SnapshotPlanner.OverlayPath(guest.DiskPath, "vwsnap-cut");
        await Task.Run(() =>
        {
            using var disk = Connection(hostId).GetStorageVolumeByPath(guest.DiskPath);
            using var pool = disk.GetPool();
            pool.CreateVolume($"""
                <volume><name>{Path.GetFileName(leftover)}</name><capacity>{QemuPool.QemuImgInfo(guest.DiskPath).GetProperty("virtual-size").GetInt64()}</capacity>
                <target><format type='qcow2'/></target>
                <backingStore><path>{System.Security.SecurityElement.Escape(guest.DiskPath)}</path><format type='qcow2'/></backingStore></volume>
                """).Dispose();
            pool.Refresh();
            return Service<StorageWatcher>().RefreshPoolAsync(hostId, Connection(hostId), pool.Uuid);
        });

        var tree = await Snapshots.ReadTreeAsync(Operator, hostId, guest.Uuid);
        Assert.Equal([leftover], tree.Leftovers);
        var viewer = QemuPool.Principal(Roles.Viewer, "vwsnap-viewer");
        await Assert.ThrowsAsync<AccessDeniedException>(() => Snapshots.RemoveLeftoverAsync(viewer, hostId, guest.Uuid, leftover));
        var refused = await Assert.ThrowsAsync<GuestActionException>(() => Snapshots.RemoveLeftoverAsync(Operator, hostId, guest.Uuid, guest.DiskPath));
        Assert.Contains("is not a leftover overlay", refused.Message, StringComparison.Ordinal);

        var removed = await Snapshots.RemoveLeftoverAsync(Operator, hostId, guest.Uuid, leftover);

        Assert.True(removed.Done, removed.Message);
        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(guest.DiskPath));
        Assert.Empty((await Snapshots.ReadTreeAsync(Operator, hostId, guest.Uuid)).Leftovers);
    }

    private async Task DeleteAllAsync(Guid hostId)
    {
        foreach (var root in (await Snapshots.ReadTreeAsync(Operator, hostId, guest.Uuid)).Roots.ToList())
        {
            var result = await Snapshots.DeleteAsync(Operator, hostId, guest.Uuid, root.Name, withDescendants: true);
            Assert.True(result.Done, result.Message);
        }
    }

    private async Task<double> UptimeAsync() =>
        double.Parse((await guest.Agent.ReadTextFileAsync("/proc/uptime")).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    private async Task<bool> ExistsInGuestAsync(string path) => (await guest.Agent.ExecAsync("/bin/sh", ["-c", $"test -e {path}"])).ExitCode == 0;

    private async Task DropCachesAsync() =>
        Assert.Equal(0, (await guest.Agent.ExecAsync("/bin/sh", ["-c", "sync; echo 3 > /proc/sys/vm/drop_caches"])).ExitCode);
}

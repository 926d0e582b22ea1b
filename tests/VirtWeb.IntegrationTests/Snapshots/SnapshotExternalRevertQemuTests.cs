using System.Diagnostics;
using System.Globalization;
using System.Security;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.Snapshots;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Snapshots;

/// <summary>
/// Revert to an external snapshot on libvirtd + QEMU (libvirt 9.0 refuses it; VirtWeb does it as newer libvirt does),
/// with a shut-off tiny guest whose disk files are written with <c>qemu-io</c> as the guest would, and checked with
/// <c>qemu-img info --backing-chain</c> and by reading the data back.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class SnapshotExternalRevertQemuTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    private const byte Written = 0xab;

    protected override TimeSpan Deadline => TimeSpan.FromSeconds(120);

    private SnapshotService Snapshots => Service<SnapshotService>();

    [Fact]
    public async Task RevertToExternal_WithSafetySnapshot_FreshOverlayOnTheFrozenFileAndRevertBackBringsThePresentBack()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        await using var off = TinyGuest.Define(new TinyGuestOptions { NamePrefix = "vwsnap-rev", WorkParent = PoolRootsOptions.DefaultRoot });
        using var pool = Connection(hostId).CreateStoragePool(
            $"<pool type='dir'><name>{$"vwsnap-rev-{Guid.NewGuid():N}"[..24]}</name><target><path>{SecurityElement.Escape(off.WorkDirectory)}</path></target></pool>");
        var uuid = off.Domain.Uuid;
        var offset = QemuPool.QemuImgInfo(off.DiskPath).GetProperty("virtual-size").GetInt64() - 65536;
        try
        {
            var taken = await Snapshots.CreateAsync(QemuPool.Operator, hostId, uuid, new SnapshotCreateInput("vwsnap-s1", null, SnapshotKind.External, WithMemory: false));
            Assert.True(taken.Done, taken.Message);
            var first = SnapshotPlanner.OverlayPath(off.DiskPath, "vwsnap-s1");
            Assert.True(Reads(off.DiskPath, offset, 0), "the disk's last 64 KiB start empty");
            QemuIo(first, $"write -P 0x{Written:x} {offset.ToString(CultureInfo.InvariantCulture)} 64k");
            Assert.True(Reads(first, offset, Written), "the write after the snapshot went into its overlay");

            var reverted = await Snapshots.RevertAsync(QemuPool.Operator, hostId, uuid, "vwsnap-s1", safetySnapshot: true);

            Assert.True(reverted.Done, reverted.Message);
            var tree = await Snapshots.ReadTreeAsync(QemuPool.Operator, hostId, uuid);
            var safety = tree.Snapshots.Single(s => s.Name.StartsWith("before-vwsnap-s1-", StringComparison.Ordinal));
            Assert.Equal("vwsnap-s1", safety.Parent);
            Assert.Equal(SnapshotKind.External, safety.Kind);
            Assert.Equal("vwsnap-s1", tree.Current?.Name);
            var fresh = DiskOf(off);
            Assert.Equal(fresh, tree.Find("vwsnap-s1")!.Disks.Single().OverlayPath);
            Assert.Equal([fresh, off.DiskPath], SnapshotQemuGuest.BackingChainOf(fresh));
            Assert.Equal([safety.Disks.Single().OverlayPath!, first, off.DiskPath], SnapshotQemuGuest.BackingChainOf(safety.Disks.Single().OverlayPath!));
            Assert.False(Reads(fresh, offset, Written), "after the revert the write after the snapshot is gone");
            Assert.True(Reads(fresh, offset, 0));
            Assert.Equal(DomainState.Shutoff, off.Domain.GetState().State);
            Assert.Contains("fresh overlay", reverted.Message, StringComparison.Ordinal);

            var back = await Snapshots.RevertAsync(QemuPool.Operator, hostId, uuid, safety.Name, safetySnapshot: false);

            Assert.True(back.Done, back.Message);
            var again = DiskOf(off);
            Assert.Equal([again, first, off.DiskPath], SnapshotQemuGuest.BackingChainOf(again));
            Assert.True(Reads(again, offset, Written), "the state before the first revert is back");
            Assert.False(File.Exists(safety.Disks.Single().OverlayPath!), "the safety snapshot's old overlay held nothing anyone needs and is gone");
            Assert.True(File.Exists(fresh), "the first revert's overlay stays: snapshot vwsnap-s1 names it");
            Assert.Empty((await Snapshots.ReadTreeAsync(QemuPool.Operator, hostId, uuid)).Leftovers);

            var deleted = await Snapshots.DeleteAsync(QemuPool.Operator, hostId, uuid, "vwsnap-s1", withDescendants: true);

            Assert.True(deleted.Done, deleted.Message);
            Assert.Empty((await Snapshots.ReadTreeAsync(QemuPool.Operator, hostId, uuid)).Snapshots);
            Assert.Equal(off.DiskPath, DiskOf(off));
            Assert.Equal([off.DiskPath], SnapshotQemuGuest.BackingChainOf(off.DiskPath));
            Assert.True(Reads(off.DiskPath, offset, Written), "the present state was merged into the disk");
            Assert.Empty(Directory.GetFiles(off.WorkDirectory, "disk.*.qcow2").Select(Path.GetFileName));
        }
        finally
        {
            foreach (var snapshot in off.Domain.ListSnapshots())
            {
                using (snapshot)
                {
                    snapshot.Delete(SnapshotDeleteFlags.MetadataOnly);
                }
            }

            pool.Stop();
        }
    }

    [Fact]
    public async Task RevertToExternal_SnapshotDeletedMeanwhile_RefusedAndNothingChanged()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        await using var off = TinyGuest.Define(new TinyGuestOptions { NamePrefix = "vwsnap-gone", WorkParent = PoolRootsOptions.DefaultRoot });
        using var pool = Connection(hostId).CreateStoragePool(
            $"<pool type='dir'><name>{$"vwsnap-gone-{Guid.NewGuid():N}"[..24]}</name><target><path>{SecurityElement.Escape(off.WorkDirectory)}</path></target></pool>");
        try
        {
            await Snapshots.CreateAsync(QemuPool.Operator, hostId, off.Domain.Uuid, new SnapshotCreateInput("vwsnap-gone", null, SnapshotKind.External, WithMemory: false));
            Assert.True((await Snapshots.DeleteAsync(QemuPool.Operator, hostId, off.Domain.Uuid, "vwsnap-gone", withDescendants: false)).Done);

            var refused = await Assert.ThrowsAsync<GuestActionException>(() => Snapshots.RevertAsync(QemuPool.Operator, hostId, off.Domain.Uuid, "vwsnap-gone", safetySnapshot: true));

            Assert.Contains("no snapshot named 'vwsnap-gone'", refused.Message, StringComparison.Ordinal);
            Assert.Empty((await Snapshots.ReadTreeAsync(QemuPool.Operator, hostId, off.Domain.Uuid)).Snapshots);
            Assert.Equal(off.DiskPath, DiskOf(off));
            Assert.Empty(Directory.GetFiles(off.WorkDirectory, "disk.*.qcow2"));
        }
        finally
        {
            pool.Stop();
        }
    }

    private static string DiskOf(TinyGuest guest) => guest.Domain.GetDefinition(DomainXmlFlags.Inactive).Disks.Single(d => d.Device == "disk").SourceFile!;

    /// <summary>Whether the 64 KiB at <paramref name="offset"/> of the image (through its backing chain) all hold <paramref name="pattern"/>.</summary>
    private static bool Reads(string path, long offset, byte pattern)
    {
        var output = QemuIo(path, $"read -P 0x{pattern:x} {offset.ToString(CultureInfo.InvariantCulture)} 64k", readOnly: true);
        return output.Contains("read 65536/65536", StringComparison.Ordinal) && !output.Contains("Pattern verification failed", StringComparison.Ordinal);
    }

    private static string QemuIo(string path, string command, bool readOnly = false)
    {
        var start = new ProcessStartInfo("qemu-io") { RedirectStandardOutput = true, RedirectStandardError = true };
        var arguments = readOnly ? new List<string> { "-r", "-U" } : [];
        arguments.AddRange(["-f", "qcow2", "-c", command, path]);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}

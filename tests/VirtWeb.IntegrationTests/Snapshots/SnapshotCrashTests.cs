using System.Security;
using VirtWeb.IntegrationTests.Hosts;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.Snapshots;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Snapshots;

/// <summary>
/// libvirtd killed (SIGKILL) while VirtWeb takes an external snapshot, started again, and the tree and the files
/// agree after VirtWeb's repair. Kills the machine's libvirtd, so it runs in <see cref="LibvirtdFaultCollection"/>
/// with its own app, and starts libvirtd again whatever happens.
/// </summary>
[Collection(LibvirtdFaultCollection.Name)]
public sealed class SnapshotCrashTests(VirtWebFactory factory, Xunit.Abstractions.ITestOutputHelper output) : IntegrationTest(factory), IClassFixture<VirtWebFactory>
{
    private const string Name = "vwsnap-cut";

    protected override TimeSpan Deadline => TimeSpan.FromSeconds(90);

    private SnapshotService Snapshots => Service<SnapshotService>();

    [Fact]
    public async Task Create_LibvirtdKilledOnceTheOverlayExists_AfterReconnectionTreeAndFilesAgree()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var guest = TinyGuest.Define(new TinyGuestOptions { NamePrefix = "vwsnap-cut", WorkParent = PoolRootsOptions.DefaultRoot });
        var uuid = guest.Domain.Uuid;
        var poolName = $"vwsnap-cut-{Guid.NewGuid():N}"[..24];
        Connection(hostId).CreateStoragePool(
            $"<pool type='dir'><name>{poolName}</name><target><path>{SecurityElement.Escape(guest.WorkDirectory)}</path></target></pool>").Dispose();
        var overlay = SnapshotPlanner.OverlayPath(guest.DiskPath, Name);
        try
        {
            var daemons = LibvirtdDaemon.Processes();
            var create = Task.Run(() => Snapshots.CreateAsync(QemuPool.Operator, hostId, uuid, new SnapshotCreateInput(Name, "cut off", SnapshotKind.External, WithMemory: false)));
            var killedWhileRunning = await Task.Factory.StartNew(() => KillOnceExists(overlay, create, daemons), TaskCreationOptions.LongRunning);
            await LibvirtdDaemon.WaitGoneAsync(daemons.Select(d => d.Id));
            output.WriteLine($"Killed libvirtd {(killedWhileRunning ? "while the create ran" : "after the create had returned")}: {await OutcomeAsync(create)}");

            LibvirtdDaemon.Start();
            await Eventually.ValueAsync(() => Store.Hosts.Find(hostId.ToString()), h => h.Connection == HostConnectionState.Connected, Deadline, "the host reconnects");
            var repairs = Service<SnapshotRepairs>();
            var key = GuestState.KeyOf(hostId, uuid);
            await Eventually.ValueAsync(() => repairs.IsPending(key) ? "pending" : "repaired", state => state == "repaired", Deadline, "the cut-off create is repaired");

            var tree = await Snapshots.ReadTreeAsync(QemuPool.Operator, hostId, uuid);
            output.WriteLine("Repairs: " + string.Join(" | ", tree.Repairs.Select(r => r.Text)));
            Assert.Equal(repairs.NotesOf(key).Select(n => n.Text), tree.Repairs.Select(r => r.Text));
            Assert.Empty(tree.Leftovers);
            var disk = TreeAndFilesAgree(tree, guest);

            // Whatever was left is a whole snapshot or nothing: deleting it brings the guest back onto its disk alone.
            if (tree.Find(Name) is not null)
            {
                Assert.Equal(overlay, disk);
                var deleted = await Snapshots.DeleteAsync(QemuPool.Operator, hostId, uuid, Name, withDescendants: false);
                Assert.True(deleted.Done, deleted.Message);
            }

            using var after = Connection(hostId).GetDomainByUuid(uuid);
            Assert.Equal(guest.DiskPath, after.GetDefinition(DomainXmlFlags.Inactive).Disks.Single(d => d.Device == "disk").SourceFile);
            Assert.Equal([guest.DiskPath], SnapshotQemuGuest.BackingChainOf(guest.DiskPath));
            Assert.False(File.Exists(overlay), "no overlay file is left");
        }
        finally
        {
            await LibvirtdDaemon.StartAndWaitAsync();
            CleanUp(uuid, poolName);
            await guest.DisposeAsync();
        }
    }

    /// <summary>Spins until libvirt has made the overlay file, then SIGKILLs libvirtd at once; says whether the create still ran.</summary>
    private bool KillOnceExists(string overlay, Task create, IReadOnlyList<System.Diagnostics.Process> daemons)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(overlay))
        {
            Assert.True(clock.Elapsed < Deadline, "libvirt made no overlay file");
            Assert.False(create.IsCompleted && !File.Exists(overlay), $"the create ended without an overlay: {create.Exception?.GetBaseException().Message}");
            Thread.Yield();
        }

        var running = !create.IsCompleted;
        foreach (var daemon in daemons)
        {
            daemon.Kill();
        }

        return running;
    }

    /// <summary>
    /// The guest's disk, then each file below it (qemu-img's view) is one snapshot's overlay and every external
    /// snapshot's overlay is in that chain, the newest on top; and no file beside the disk is named like an overlay
    /// that the chain does not hold. Returns the disk's file.
    /// </summary>
    private string TreeAndFilesAgree(SnapshotTree tree, TinyGuest guest)
    {
        using var domain = Connection(tree.HostId).GetDomainByUuid(tree.Uuid);
        var source = domain.GetDefinition(DomainXmlFlags.Inactive).Disks.Single(d => d.Device == "disk").SourceFile!;
        var chain = SnapshotQemuGuest.BackingChainOf(source);
        Assert.Equal(guest.DiskPath, chain[^1]);
        var overlays = tree.Snapshots.SelectMany(s => s.Disks).Select(d => d.OverlayPath).OfType<string>().ToList();
        Assert.Equal(chain.SkipLast(1).Order(StringComparer.Ordinal), overlays.Order(StringComparer.Ordinal));
        if (tree.Current is { Kind: SnapshotKind.External } current)
        {
            Assert.Equal(source, current.Disks.Single().OverlayPath);
        }

        var named = Directory.GetFiles(guest.WorkDirectory, $"{Path.GetFileNameWithoutExtension(guest.DiskPath)}.*.qcow2");
        Assert.Equal(chain.SkipLast(1).Order(StringComparer.Ordinal), named.Order(StringComparer.Ordinal));
        return source;
    }

    private static void CleanUp(Guid uuid, string poolName)
    {
        using var libvirt = LibvirtConnection.Open(LibvirtdDaemon.SystemUri);
        try
        {
            using var domain = libvirt.GetDomainByUuid(uuid);
            foreach (var snapshot in domain.ListSnapshots())
            {
                using (snapshot)
                {
                    snapshot.Delete(SnapshotDeleteFlags.MetadataOnly);
                }
            }

            domain.Undefine();
        }
        catch (LibvirtException)
        {
            // Never defined again, or gone already.
        }

        try
        {
            using var pool = libvirt.GetStoragePoolByName(poolName);
            pool.Stop();
        }
        catch (LibvirtException)
        {
            // Gone with libvirtd's restart.
        }
    }

    /// <summary>
    /// Done (the kill came after libvirt had finished), or refused as the host connection lost: never libvirt's raw
    /// error nor a disposed connection's, wherever in the create or its clean-up the kill landed.
    /// </summary>
    private static async Task<string> OutcomeAsync(Task<GuestActionResult> create)
    {
        try
        {
            var result = await create;
            Assert.True(result.Done, result.Message);
            return result.Message;
        }
        catch (GuestActionException e)
        {
            Assert.IsType<HostUnavailableException>(e.InnerException);
            Assert.Contains("was lost while it ran", e.Message, StringComparison.Ordinal);
            return e.Message;
        }
    }
}

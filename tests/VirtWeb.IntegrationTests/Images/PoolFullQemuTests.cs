using VirtWeb.IntegrationTests.Snapshots;
using VirtWeb.Snapshots;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Images;

/// <summary>
/// A pool on a file system that fills (<see cref="SmallFileSystem"/>, tens of MiB): an upload, a full clone and a
/// snapshot either are refused before anything is made or, when the space goes while they write, are rolled back;
/// the message names the pool and what to do, the pool and the files hold nothing of them, and the audit trail (in
/// the app's database, elsewhere) records the failure with that message.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class PoolFullQemuTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    private const long MiB = 1L << 20;

    protected override TimeSpan Deadline => TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Upload_PoolFillsWhileItStreams_ClearMessageAndThePartialVolumeRemoved()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        using var disk = SmallFileSystem.Create(32);
        using var pool = disk.CreatePool(Connection(hostId));
        try
        {
            var bytes = new byte[16 * MiB];
            Random.Shared.NextBytes(bytes);
            // Another writer on the host takes the space once the upload has been checked and has begun.
            var body = new FirstReadStream(bytes, () => disk.FillLeaving(2 * MiB));

            var error = await Assert.ThrowsAsync<ImageException>(() => Service<VolumeTransfers>().UploadAsync(
                QemuPool.Operator, hostId, disk.Name, "vwfull-up.raw", "raw", bytes.Length, null, body, CancellationToken.None));

            Assert.True(body.Started, "the upload began before the pool filled");
            Assert.Equal(ImageFailure.TooLarge, error.Failure);
            Assert.StartsWith($"Pool {disk.Name} ran out of space while vwfull-up.raw was uploaded (16 MiB); the partial volume was removed. Free space in pool {disk.Name}", error.Message);
            Assert.Empty(VolumesOf(pool));
            Assert.Empty(disk.Files());
            await AssertAuditedAsync(AccessPaths.Volume(hostId, disk.Name, "vwfull-up.raw"), "image.upload", error.Message);
        }
        finally
        {
            pool.Stop();
        }
    }

    [Fact]
    public async Task Upload_LargerThanWhatIsFreeSinceLibvirtLooked_RefusedBeforeAnythingIsMade()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        using var disk = SmallFileSystem.Create(32);
        using var pool = disk.CreatePool(Connection(hostId));
        try
        {
            disk.FillLeaving(4 * MiB);

            var error = await Assert.ThrowsAsync<ImageException>(() => Service<VolumeTransfers>().UploadAsync(
                QemuPool.Operator, hostId, disk.Name, "vwfull-big.raw", "raw", 8 * MiB, null, new MemoryStream(new byte[8 * MiB]), CancellationToken.None));

            Assert.Equal(ImageFailure.TooLarge, error.Failure);
            Assert.Contains($"8 MiB does not fit: it is taken on the host at once, and pool {disk.Name} has", error.Message, StringComparison.Ordinal);
            Assert.Empty(VolumesOf(pool));
            Assert.Empty(disk.Files());
            await AssertAuditedAsync(AccessPaths.Volume(hostId, disk.Name, "vwfull-big.raw"), "image.upload", error.Message);
        }
        finally
        {
            pool.Stop();
        }
    }

    [Fact]
    public async Task CloneFull_PoolFillsDuringTheCopy_ClearMessageNoPartialVolumeNoClone()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        using var disk = SmallFileSystem.Create(24);
        // 32 MiB of data compressed into a few KiB: the check before the copy (the source's allocation) passes, and
        // the copy, which qemu-img writes uncompressed, fills the pool half-way.
        var scratch = Path.Combine(Path.GetTempPath(), $"{disk.Name}-data.qcow2");
        QemuPool.Run("qemu-img", "create", "-q", "-f", "qcow2", scratch, "32M");
        QemuPool.Run("qemu-io", "-c", "write -P 0xab 0 32M", scratch);
        QemuPool.Run("qemu-img", "convert", "-c", "-O", "qcow2", scratch, Path.Combine(disk.Mount, "vwfull-src.qcow2"));
        File.Delete(scratch);
        using var pool = disk.CreatePool(Connection(hostId));
        var (uuid, name) = DefineSource(hostId, Path.Combine(disk.Mount, "vwfull-src.qcow2"), "qcow2");
        try
        {
            var error = await Assert.ThrowsAsync<GuestActionException>(() =>
                Service<GuestCloningService>().CloneAsync(QemuPool.Operator, hostId, uuid, $"{name}-c", GuestCloneDisks.FullCopy));

            Assert.StartsWith($"Could not clone {name}: Pool {disk.Name} ran out of space while copying into {name}-c.qcow2; ", error.Message);
            Assert.Contains($"Free space in pool {disk.Name}", error.Message, StringComparison.Ordinal);
            Assert.EndsWith($"{name}-c was not defined.", error.Message);
            Assert.Equal(["vwfull-src.qcow2"], VolumesOf(pool));
            Assert.Equal(["vwfull-src.qcow2"], disk.Files());
            Assert.False(GuestLookups.DomainExists(Connection(hostId), $"{name}-c"));
            await AssertAuditedAsync(AccessPaths.Guest(hostId, uuid), "guest.clone", error.Message);
        }
        finally
        {
            Undefine(hostId, uuid);
            pool.Stop();
        }
    }

    [Fact]
    public async Task CloneFull_SourceHoldsMoreThanIsFree_RefusedBeforeAnyCopy()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        using var disk = SmallFileSystem.Create(24);
        var source = Path.Combine(disk.Mount, "vwfull-src.raw");
        var data = new byte[8 * MiB];
        Random.Shared.NextBytes(data);
        await File.WriteAllBytesAsync(source, data);
        using var pool = disk.CreatePool(Connection(hostId));
        disk.FillLeaving(4 * MiB);
        var (uuid, name) = DefineSource(hostId, source, "raw");
        try
        {
            var error = await Assert.ThrowsAsync<GuestActionException>(() =>
                Service<GuestCloningService>().CloneAsync(QemuPool.Operator, hostId, uuid, $"{name}-c", GuestCloneDisks.FullCopy));

            Assert.Matches($@"^Could not clone {name}: Pool {disk.Name} has [0-9.]+ MiB free, but a full copy of vwfull-src\.raw needs about 8 MiB\. Free space in pool {disk.Name} .* Or clone with overlays", error.Message);
            Assert.Equal(["vwfull-src.raw"], VolumesOf(pool));
            Assert.Equal(["vwfull-src.raw"], disk.Files());
            Assert.False(GuestLookups.DomainExists(Connection(hostId), $"{name}-c"));
            await AssertAuditedAsync(AccessPaths.Guest(hostId, uuid), "guest.clone", error.Message);
        }
        finally
        {
            Undefine(hostId, uuid);
            pool.Stop();
        }
    }

    [Fact]
    public async Task Snapshot_PoolTooFullForMemoryOrOverlay_RefusedWithThePoolNamedNothingMade()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        using var disk = SmallFileSystem.Create(48);
        await using var guest = TinyGuest.Define(new TinyGuestOptions { NamePrefix = "vwfull", WorkParent = disk.Mount });
        using var pool = disk.CreatePool(Connection(hostId), guest.WorkDirectory);
        var uuid = guest.Domain.Uuid;
        var before = disk.Files();
        try
        {
            await guest.StartAsync(TimeSpan.FromSeconds(120));
            var snapshots = Service<SnapshotService>();

            // 512 MiB of memory into a pool of 48 MiB: refused before QEMU writes anything.
            var memory = await Assert.ThrowsAsync<GuestActionException>(() =>
                snapshots.CreateAsync(QemuPool.Operator, hostId, uuid, new SnapshotCreateInput("vwfull-mem", null, SnapshotKind.Internal, WithMemory: true)));
            Assert.Matches($@"Pool {disk.Name} has [0-9.]+ MiB free, but this snapshot needs about 512[0-9.]* MiB \(the guest's 512 MiB of memory\)\. Free space in the pool", memory.Message);

            // Shut off first: a running guest whose disk meets a full file system is paused by QEMU (I/O error).
            guest.Domain.Destroy();
            // libvirt counts ext4's few reserved blocks as free (statvfs f_bfree): it may see up to about 1 MiB still
            // free and let the overlay be tried, which then runs out of space; either way nothing may be left.
            disk.FillLeaving(0);
            var overlay = await Assert.ThrowsAsync<GuestActionException>(() =>
                snapshots.CreateAsync(QemuPool.Operator, hostId, uuid, new SnapshotCreateInput("vwfull-ext", null, SnapshotKind.External, WithMemory: false)));
            Assert.Matches($@"^Pool {disk.Name} (has [0-9.]+ [KM]?i?B free, but this snapshot needs about 1 MiB\. Free space in the pool|ran out of space while snapshot vwfull-ext of .* was taken; no overlay file and no snapshot were kept\. Free space in pool {disk.Name})", overlay.Message);

            Assert.Empty(guest.Domain.ListSnapshots());
            Assert.Empty(SnapshotQemuGuest.InternalSnapshotsIn(guest.DiskPath));
            Assert.Equal(before, disk.Files());
            Assert.False(File.Exists(SnapshotPlanner.OverlayPath(guest.DiskPath, "vwfull-ext")), "no overlay file");
            var rows = await AuditRowsAsync(r => r.Target == AccessPaths.Guest(hostId, uuid) && r.Action == "snapshot.create");
            Assert.Equal([(AuditOutcome.Failure, memory.Message), (AuditOutcome.Failure, overlay.Message)], rows.OrderBy(r => r.Id).Select(r => (r.Outcome, r.Detail)));
        }
        finally
        {
            if (guest.Domain.IsActive)
            {
                guest.Domain.Destroy();
            }

            pool.Stop();
        }
    }

    private (Guid Uuid, string Name) DefineSource(Guid hostId, string path, string format)
    {
        var name = $"vwfull-src-{Guid.NewGuid():N}"[..20];
        using var domain = Connection(hostId).DefineDomain($"""
            <domain type='qemu'>
              <name>{name}</name>
              <memory unit='MiB'>64</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='{format}'/><source file='{path}'/><target dev='vda' bus='virtio'/></disk>
              </devices>
            </domain>
            """);
        return (domain.Uuid, name);
    }

    private void Undefine(Guid hostId, Guid uuid)
    {
        try
        {
            using var domain = Connection(hostId).GetDomainByUuid(uuid);
            domain.Undefine();
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
        }
    }

    /// <summary>The pool's volumes as libvirt lists them after a refresh, but the filler.</summary>
    private static IReadOnlyList<string> VolumesOf(LibvirtStoragePool pool)
    {
        pool.Refresh();
        var volumes = pool.ListVolumes();
        var names = volumes.Select(v => v.Name).Where(n => n != SmallFileSystem.FillerName).Order(StringComparer.Ordinal).ToList();
        foreach (var volume in volumes)
        {
            volume.Dispose();
        }

        return names;
    }

    private async Task AssertAuditedAsync(string target, string action, string message)
    {
        var row = Assert.Single(await AuditRowsAsync(r => r.Target == target && r.Action == action));
        Assert.Equal((AuditOutcome.Failure, message), (row.Outcome, row.Detail));
    }

    /// <summary>The bytes of a file being uploaded; runs <paramref name="onFirstRead"/> once the upload reads the first of them.</summary>
    private sealed class FirstReadStream(byte[] bytes, Action onFirstRead) : Stream
    {
        private readonly MemoryStream _inner = new(bytes, writable: false);

        public bool Started { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => _inner.Length;

        public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Begin();
            return _inner.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Begin();
            return _inner.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private void Begin()
        {
            if (!Started)
            {
                Started = true;
                onFirstRead();
            }
        }
    }
}

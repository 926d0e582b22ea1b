namespace VirtWeb.IntegrationTests.Images;

/// <summary>The volume, transfer and pool services on a directory pool of the real libvirtd + QEMU, checked against the files themselves.</summary>
[Collection(AppCollection.Name)]
public sealed class ImagesQemuTests(VirtWebFactory factory) : IntegrationTest(factory), IAsyncLifetime
{
    private const long MiB = 1L << 20;
    private const long GiB = 1L << 30;

    private QemuPool _pool = null!;

    private VolumeService Volumes => Service<VolumeService>();

    private VolumeTransfers Transfers => Service<VolumeTransfers>();

    private PoolService Pools => Service<PoolService>();

    public async Task InitializeAsync() => _pool = await QemuPool.CreateAsync(Factory);

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    [Fact]
    public async Task CreateVolume_Qcow2OneGiB_IsThinOnDisk()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "thin.qcow2", "qcow2", GiB);

        var info = QemuPool.QemuImgInfo(path);
        Assert.Equal("qcow2", info.GetProperty("format").GetString());
        Assert.Equal(GiB, info.GetProperty("virtual-size").GetInt64());
        Assert.True(QemuPool.AllocatedBytes(path) < MiB, $"a fresh 1 GiB qcow2 takes {QemuPool.AllocatedBytes(path)} bytes");
        var live = Store.Volumes.Find(VolumeState.KeyOf(_pool.HostId, path))!;
        Assert.Equal(("qcow2", (ulong)GiB), (live.Format, live.CapacityBytes));
        Assert.True(live.AllocationBytes < (ulong)MiB);
    }

    [Fact]
    public async Task CreateVolume_RawOneGiB_IsPreallocatedOnDisk()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "full.raw", "raw", GiB);

        var info = QemuPool.QemuImgInfo(path);
        Assert.Equal("raw", info.GetProperty("format").GetString());
        Assert.Equal(GiB, info.GetProperty("virtual-size").GetInt64());
        Assert.True(QemuPool.AllocatedBytes(path) >= GiB, $"a preallocated 1 GiB raw takes {QemuPool.AllocatedBytes(path)} bytes");
        Assert.True(Store.Volumes.Find(VolumeState.KeyOf(_pool.HostId, path))!.AllocationBytes >= (ulong)GiB);
    }

    [Fact]
    public async Task CreateOverlay_OnChosenBase_BackingFileIsThatBase()
    {
        var other = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "other.qcow2", "qcow2", GiB);
        var chosen = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "base.qcow2", "qcow2", GiB);

        var overlay = await Volumes.CreateOverlayAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "linked.qcow2", chosen);

        var info = QemuPool.QemuImgInfo(overlay);
        Assert.Equal(chosen, info.GetProperty("backing-filename").GetString());
        Assert.NotEqual(other, info.GetProperty("backing-filename").GetString());
        Assert.Equal([chosen], Store.Volumes.Find(VolumeState.KeyOf(_pool.HostId, overlay))!.BackingChain);
    }

    [Fact]
    public async Task CloneVolume_Qcow2ToRaw_Converts()
    {
        var source = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "src.qcow2", "qcow2", 64 * MiB);

        var clone = await Volumes.CloneVolumeAsync(QemuPool.Operator, _pool.HostId, source, _pool.Name, "copy.raw", "raw");

        var info = QemuPool.QemuImgInfo(clone);
        Assert.Equal("raw", info.GetProperty("format").GetString());
        Assert.Equal(64 * MiB, info.GetProperty("virtual-size").GetInt64());
        Assert.Equal("qcow2", QemuPool.QemuImgInfo(source).GetProperty("format").GetString());
        Assert.Equal("raw", Store.Volumes.Find(VolumeState.KeyOf(_pool.HostId, clone))!.Format);
    }

    [Fact]
    public async Task ResizeVolume_Grow_ChangesVirtualSize()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "grow.qcow2", "qcow2", 64 * MiB);

        await Volumes.ResizeVolumeAsync(QemuPool.Operator, _pool.HostId, path, 128 * MiB);

        Assert.Equal(128 * MiB, QemuPool.QemuImgInfo(path).GetProperty("virtual-size").GetInt64());
        Assert.Equal((ulong)(128 * MiB), Store.Volumes.Find(VolumeState.KeyOf(_pool.HostId, path))!.CapacityBytes);
    }

    [Fact]
    public async Task ResizeVolume_ShrinkQcow2_RefusedAndUnchanged()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "keep.qcow2", "qcow2", 64 * MiB);

        var error = await Assert.ThrowsAsync<ImageException>(() => Volumes.ResizeVolumeAsync(QemuPool.Operator, _pool.HostId, path, 32 * MiB, confirmShrink: true));

        Assert.Contains("only grows", error.Message);
        Assert.Equal(64 * MiB, QemuPool.QemuImgInfo(path).GetProperty("virtual-size").GetInt64());
    }

    [Fact]
    public async Task ResizeVolume_ShrinkPreallocatedRaw_RefusedWithReason()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "full.raw", "raw", 64 * MiB);

        var error = await Assert.ThrowsAsync<ImageException>(() => Volumes.ResizeVolumeAsync(QemuPool.Operator, _pool.HostId, path, 32 * MiB, confirmShrink: true));

        Assert.Contains("cannot shrink a volume below what it occupies", error.Message);
        Assert.Equal(64 * MiB, QemuPool.QemuImgInfo(path).GetProperty("virtual-size").GetInt64());
    }

    [Fact]
    public async Task ResizeVolume_ShrinkSparseRaw_NeedsConfirmation()
    {
        // An uploaded raw is sparse: 1 MiB of data in a 64 MiB volume.
        var path = await Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "cut.raw", "raw", MiB, 64 * MiB, new MemoryStream(new byte[MiB]), default);

        var error = await Assert.ThrowsAsync<ImageException>(() => Volumes.ResizeVolumeAsync(QemuPool.Operator, _pool.HostId, path, 32 * MiB));
        Assert.Contains("Confirm to shrink", error.Message);
        Assert.Equal(64 * MiB, QemuPool.QemuImgInfo(path).GetProperty("virtual-size").GetInt64());

        await Volumes.ResizeVolumeAsync(QemuPool.Operator, _pool.HostId, path, 32 * MiB, confirmShrink: true);
        Assert.Equal(32 * MiB, QemuPool.QemuImgInfo(path).GetProperty("virtual-size").GetInt64());
    }

    [Fact]
    public async Task DeleteVolume_BackingImageOfOverlay_RefusedNamingTheOverlay()
    {
        var baseImage = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "golden.qcow2", "qcow2", 64 * MiB);
        await Volumes.CreateOverlayAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "child.qcow2", baseImage);

        var error = await Assert.ThrowsAsync<ImageException>(() => Volumes.DeleteVolumeAsync(QemuPool.Operator, _pool.HostId, baseImage));

        Assert.Contains("child.qcow2", error.Message);
        Assert.True(File.Exists(baseImage));
    }

    [Fact]
    public async Task DeleteVolume_UsedByGuest_RefusedNamingTheGuest()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "busy.qcow2", "qcow2", 64 * MiB);
        var guest = $"virtweb-test-{Guid.NewGuid():N}"[..24];
        using var domain = _pool.Connection.DefineDomain($"""
            <domain type='qemu'><name>{guest}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type></os>
              <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{path}'/><target dev='vda' bus='virtio'/></disk></devices>
            </domain>
            """);
        try
        {
            var error = await Assert.ThrowsAsync<ImageException>(() => Volumes.DeleteVolumeAsync(QemuPool.Operator, _pool.HostId, path));
            Assert.Contains(guest, error.Message);
            Assert.True(File.Exists(path));
            var resize = await Assert.ThrowsAsync<ImageException>(() => Volumes.WipeVolumeAsync(QemuPool.Operator, _pool.HostId, path));
            Assert.Contains(guest, resize.Message);

            // The live state names the guest too, once its define event reached the watcher.
            await Eventually.ValueAsync(() => Store.Volumes.Find(VolumeState.KeyOf(_pool.HostId, path)), v => v.UsedBy.Contains(guest), Deadline, "the volume names its guest");
        }
        finally
        {
            domain.Undefine();
        }
    }

    [Fact]
    public async Task DeleteVolume_TwoOperatorsAtOnce_OneDeletesTheOtherIsToldItIsGone()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "twice.qcow2", "qcow2", 64 * MiB);
        var other = QemuPool.Principal(Roles.Operator, "ops2");

        var outcomes = await Task.WhenAll(
            Outcome(() => Volumes.DeleteVolumeAsync(QemuPool.Operator, _pool.HostId, path)),
            Outcome(() => Volumes.DeleteVolumeAsync(other, _pool.HostId, path)));

        Assert.Single(outcomes, o => o is null);
        Assert.Single(outcomes, o => o is not null && o.Contains("no longer exists", StringComparison.Ordinal));
        Assert.False(File.Exists(path));
        Assert.Null(Store.Volumes.Find(VolumeState.KeyOf(_pool.HostId, path)));
    }

    [Theory]
    [InlineData("a/b.qcow2", "'/'")]
    [InlineData("..", "'..'")]
    [InlineData("a..b", "'..'")]
    [InlineData("nul\0.qcow2", "NUL")]
    [InlineData(".hidden", "starts with '.'")]
    [InlineData("", "Give the volume a name")]
    [InlineData(null, "at most 255")]
    public async Task CreateVolume_BadName_RefusedWithReasonAndNoFile(string? name, string expected)
    {
        name ??= new string('a', 300);

        var error = await Assert.ThrowsAsync<ImageException>(() => Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, name, "qcow2", MiB));

        Assert.Contains(expected, error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_pool.Directory));
    }

    [Theory]
    [InlineData(0L, "raw", "is 0")]
    [InlineData(-5L, "qcow2", "negative")]
    [InlineData(1L << 60, "raw", "does not fit")]
    [InlineData(1L << 60, "qcow2", "more than the whole pool")]
    public async Task CreateVolume_BadSize_RefusedWithReasonAndNoFile(long size, string format, string expected)
    {
        var error = await Assert.ThrowsAsync<ImageException>(() => Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "sized", format, size));

        Assert.Contains(expected, error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_pool.Directory));
    }

    [Fact]
    public async Task CreateVolume_ExistingName_RefusedAndOriginalKept()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "dup.qcow2", "qcow2", 64 * MiB);

        var error = await Assert.ThrowsAsync<ImageException>(() => Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "dup.qcow2", "raw", MiB));

        Assert.Contains("already exists", error.Message);
        Assert.Equal("qcow2", QemuPool.QemuImgInfo(path).GetProperty("format").GetString());
    }

    [Fact]
    public async Task Actions_Viewer_RefusedByTheService()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "mine.qcow2", "qcow2", 64 * MiB);
        var viewer = QemuPool.Principal(Roles.Viewer, "watcher");

        await Assert.ThrowsAsync<AccessDeniedException>(() => Volumes.CreateVolumeAsync(viewer, _pool.HostId, _pool.Name, "x.qcow2", "qcow2", MiB));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Volumes.DeleteVolumeAsync(viewer, _pool.HostId, path));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Pools.StopPoolAsync(viewer, _pool.HostId, _pool.Name));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Transfers.DownloadAsync(viewer, _pool.HostId, path));

        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task Upload_WholeFile_BecomesVolumeWithTheSameBytes()
    {
        var payload = System.Security.Cryptography.RandomNumberGenerator.GetBytes((int)(3 * MiB) + 777);

        var path = await Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "up.raw", "raw", payload.Length, null, new MemoryStream(payload), default);

        Assert.Equal(payload, await File.ReadAllBytesAsync(path));
        var download = await Transfers.DownloadAsync(QemuPool.Operator, _pool.HostId, path);
        var back = new MemoryStream();
        await download.CopyToAsync(back, default);
        Assert.Equal(payload, back.ToArray());
        Assert.Equal(payload.Length, download.Length);
    }

    [Fact]
    public async Task Upload_LargerThanTheVolume_RefusedAndNothingLeft()
    {
        var error = await Assert.ThrowsAsync<ImageException>(() =>
            Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "big.raw", "raw", 4 * MiB, 2 * MiB, new MemoryStream(new byte[4 * MiB]), default));

        Assert.Contains("larger than the volume", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_pool.Directory));
    }

    [Fact]
    public async Task Upload_BodyShorterOrLongerThanAnnounced_FailsAndNothingLeft()
    {
        await Assert.ThrowsAsync<ImageException>(() =>
            Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "short.raw", "raw", 4 * MiB, null, new MemoryStream(new byte[MiB]), default));
        await Assert.ThrowsAsync<ImageException>(() =>
            Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "long.raw", "raw", MiB, null, new MemoryStream(new byte[3 * MiB]), default));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_pool.Directory));
        Assert.Empty(Store.Volumes.Current(v => v.PoolName == _pool.Name));
    }

    [Fact]
    public async Task Upload_Cancelled_DeletesThePartialVolume()
    {
        using var cancel = new CancellationTokenSource();
        var body = new CancelAfterStream(new MemoryStream(new byte[8 * MiB]), cancel, 2 * MiB);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "gone.raw", "raw", 8 * MiB, null, body, cancel.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_pool.Directory));
    }

    [Fact]
    public async Task Pool_StopStartAutostart_ShowLive()
    {
        await Pools.StopPoolAsync(QemuPool.Operator, _pool.HostId, _pool.Name);
        Assert.False(Store.Pools.Current(p => p.HostId == _pool.HostId && p.Name == _pool.Name).Single().IsActive);

        await Pools.StartPoolAsync(QemuPool.Operator, _pool.HostId, _pool.Name);
        await Pools.SetAutostartAsync(QemuPool.Operator, _pool.HostId, _pool.Name, true);

        var pool = Store.Pools.Current(p => p.HostId == _pool.HostId && p.Name == _pool.Name).Single();
        Assert.True(pool.IsActive);
        Assert.True(pool.Autostart);
        Assert.Equal("dir", pool.Type);
        Assert.Equal(_pool.Directory, pool.TargetPath);
    }

    [Fact]
    public async Task DeletePool_WithVolumes_RefusedNamingThem()
    {
        await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "left.qcow2", "qcow2", MiB);

        var error = await Assert.ThrowsAsync<ImageException>(() => Pools.DeletePoolAsync(QemuPool.Administrator, _pool.HostId, _pool.Name));

        Assert.Contains("left.qcow2", error.Message);
        Assert.True(Directory.Exists(_pool.Directory));
    }

    [Fact]
    public async Task DeletePool_Empty_RemovesDirectoryAndLiveState()
    {
        var extra = new string(_pool.Name.Take(26).ToArray()) + "-x";
        var directory = QemuPool.ScratchDirectory(extra);
        await Pools.CreateDirectoryPoolAsync(QemuPool.Administrator, _pool.HostId, extra, directory, autostart: false);
        Assert.True(Directory.Exists(directory));

        await Pools.DeletePoolAsync(QemuPool.Administrator, _pool.HostId, extra);

        Assert.False(Directory.Exists(directory));
        Assert.Empty(Store.Pools.Current(p => p.Name == extra));
    }

    private static async Task<string?> Outcome(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (ImageException e)
        {
            return e.Message;
        }
    }
}

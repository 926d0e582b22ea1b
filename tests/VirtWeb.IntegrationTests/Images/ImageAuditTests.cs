namespace VirtWeb.IntegrationTests.Images;

/// <summary>Every image action leaves a row: who, which pool or volume, and how it ended (libvirt's words when it failed).</summary>
[Collection(AppCollection.Name)]
public sealed class ImageAuditTests(VirtWebFactory factory) : IntegrationTest(factory), IAsyncLifetime
{
    private const long MiB = 1 << 20;

    private QemuPool _pool = null!;

    private VolumeService Volumes => Service<VolumeService>();

    private VolumeTransfers Transfers => Service<VolumeTransfers>();

    private PoolService Pools => Service<PoolService>();

    private AuditLog Audit => Service<AuditLog>();

    private string PoolTarget => $"/hosts/{_pool.HostId}/pools/{_pool.Name}";

    public async Task InitializeAsync() => _pool = await QemuPool.CreateAsync(Factory);

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    [Fact]
    public async Task CreateVolume_ByOperator_WritesSuccessWithTheVolumeAsTarget()
    {
        await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "audited.qcow2", "qcow2", MiB);

        var row = Assert.Single(await RowsAsync($"{PoolTarget}/volumes/audited.qcow2", "image.create"));
        Assert.Equal(AuditOutcome.Success, row.Outcome);
        Assert.Equal("ops1", row.UserName);
        Assert.Contains("qcow2", row.Detail);
    }

    [Fact]
    public async Task DeleteVolume_ByViewer_RefusedAndWrittenAsDenied()
    {
        var path = await Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "kept.raw", "raw", MiB);
        var viewer = QemuPool.Principal(Roles.Viewer, "vera");

        await Assert.ThrowsAsync<AccessDeniedException>(() => Volumes.DeleteVolumeAsync(viewer, _pool.HostId, path));

        // The store knows the volume, so even a refusal names its pool and volume.
        var row = Assert.Single(await RowsAsync($"{PoolTarget}/volumes/kept.raw", "image.delete"));
        Assert.Equal(AuditOutcome.Denied, row.Outcome);
        Assert.Equal("vera", row.UserName);
        Assert.Contains("Operator or Administrator", row.Detail);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task StartPool_AlreadyRunning_WritesFailureWithLibvirtsMessage()
    {
        var error = await Assert.ThrowsAsync<ImageException>(() => Pools.StartPoolAsync(QemuPool.Operator, _pool.HostId, _pool.Name));

        var row = Assert.Single(await RowsAsync(PoolTarget, "pool.start"));
        Assert.Equal(AuditOutcome.Failure, row.Outcome);
        Assert.Equal(error.Message, row.Detail);
        Assert.Contains("already active", row.Detail);
    }

    [Fact]
    public async Task UploadAndDownload_WriteOneRowEach()
    {
        var bytes = new byte[MiB];
        Random.Shared.NextBytes(bytes);
        var path = await Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "up.raw", "raw", bytes.Length, null, new MemoryStream(bytes), CancellationToken.None);
        var download = await Transfers.DownloadAsync(QemuPool.Operator, _pool.HostId, path);
        await download.CopyToAsync(Stream.Null, CancellationToken.None);

        var target = $"{PoolTarget}/volumes/up.raw";
        Assert.Equal(AuditOutcome.Success, Assert.Single(await RowsAsync(target, "image.upload")).Outcome);
        Assert.Equal(AuditOutcome.Success, Assert.Single(await RowsAsync(target, "image.download")).Outcome);
    }

    [Fact]
    public async Task Upload_CutShort_WritesFailureAndKeepsNothing()
    {
        var halfOfIt = new MemoryStream(new byte[MiB / 2]);

        await Assert.ThrowsAsync<ImageException>(() =>
            Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "cut.raw", "raw", MiB, null, halfOfIt, CancellationToken.None));

        var row = Assert.Single(await RowsAsync($"{PoolTarget}/volumes/cut.raw", "image.upload"));
        Assert.Equal(AuditOutcome.Failure, row.Outcome);
        Assert.Contains("stopped after", row.Detail);
        Assert.False(File.Exists(_pool.PathOf("cut.raw")));
    }

    private async Task<IReadOnlyList<AuditRecord>> RowsAsync(string target, string action)
    {
        var admin = QemuPool.Principal(Roles.Administrator, "root");
        var rows = await Service<AuditSearch>().SearchAsync(admin, new AuditQuery(Target: target, Action: action));
        // Target is a prefix search: keep the exact target only.
        return rows.Where(r => r.Target == target && r.Action == action).ToList();
    }
}

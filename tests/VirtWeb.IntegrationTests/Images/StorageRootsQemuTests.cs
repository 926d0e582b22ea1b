namespace VirtWeb.IntegrationTests.Images;

/// <summary>
/// The storage roots on the real libvirtd: pools only inside <c>/var/lib/libvirt/images</c>, by Administrators of the
/// host; a pool another tool defined outside is shown flagged and its files are left exactly as they were.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class StorageRootsQemuTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    private const long MiB = 1L << 20;

    private VolumeService Volumes => Service<VolumeService>();

    private VolumeTransfers Transfers => Service<VolumeTransfers>();

    private PoolService Pools => Service<PoolService>();

    [Theory]
    [InlineData("/etc", "/etc")]
    [InlineData("/", "/")]
    [InlineData("/dev", "/dev")]
    [InlineData("/var/lib/libvirt/images/../../etc", "/var/lib/etc")]
    [InlineData("/var/lib/libvirt/images2", "/var/lib/libvirt/images2")]
    public async Task CreatePool_OutsideTheRoots_RefusedForOperatorAndAdministratorAndNothingDefined(string directory, string named)
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var name = Unique("vw-roots");
        var before = Virsh("pool-list", "--all", "--name");

        var byOperator = await Assert.ThrowsAsync<AccessDeniedException>(() => Pools.CreateDirectoryPoolAsync(QemuPool.Operator, hostId, name, directory, autostart: false));
        var byAdministrator = await Assert.ThrowsAsync<ImageException>(() => Pools.CreateDirectoryPoolAsync(QemuPool.Administrator, hostId, name, directory, autostart: false));

        Assert.Contains("Only an Administrator may create pools", byOperator.Message);
        Assert.Equal(ImageFailure.Forbidden, byAdministrator.Failure);
        Assert.Contains($"The directory {named} is outside VirtWeb's storage roots (/var/lib/libvirt/images)", byAdministrator.Message);
        Assert.Equal(before, Virsh("pool-list", "--all", "--name"));
        Assert.DoesNotContain(name, Virsh("pool-list", "--all", "--name"));
        var row = Assert.Single(await RowsAsync($"/hosts/{hostId}/pools/{name}", "pool.create"));
        Assert.Equal((AuditOutcome.Denied, "root"), (row.Outcome, row.UserName));
    }

    [Fact]
    public async Task OutsidePool_DefinedWithVirsh_ShownFlaggedAndItsFilesLeftUnchanged()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var name = Unique("vw-outside");
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), name)).FullName;
        var file = Path.Combine(directory, "outside.raw");
        await File.WriteAllBytesAsync(file, System.Security.Cryptography.RandomNumberGenerator.GetBytes((int)MiB));
        var sha256 = Sha256(file);
        await using var inside = await QemuPool.CreateAsync(Factory);
        try
        {
            Virsh("pool-define-as", name, "dir", "--target", directory);
            Virsh("pool-start", name);
            var pool = await Eventually.ValueAsync(
                () => Store.Pools.Current(p => p.HostId == hostId && p.Name == name).SingleOrDefault(), p => p.IsActive,
                Deadline, "the pool virsh defined is listed");
            await Eventually.ValueAsync(() => Store.Volumes.Find(VolumeState.KeyOf(hostId, file)), _ => true, Deadline, "its file is listed as a volume");
            Assert.True(pool.OutsideRoots);

            var refusals = new List<ImageException>
            {
                await Assert.ThrowsAsync<ImageException>(() => Transfers.DownloadAsync(QemuPool.Operator, hostId, file)),
                await Assert.ThrowsAsync<ImageException>(() =>
                    Transfers.UploadAsync(QemuPool.Operator, hostId, name, "cron.raw", "raw", MiB, null, new MemoryStream(new byte[MiB]), default)),
                await Assert.ThrowsAsync<ImageException>(() => Volumes.WipeVolumeAsync(QemuPool.Operator, hostId, file)),
                await Assert.ThrowsAsync<ImageException>(() => Volumes.DeleteVolumeAsync(QemuPool.Operator, hostId, file)),
                await Assert.ThrowsAsync<ImageException>(() => Volumes.ResizeVolumeAsync(QemuPool.Operator, hostId, file, 2 * MiB)),
                await Assert.ThrowsAsync<ImageException>(() => Volumes.CreateVolumeAsync(QemuPool.Operator, hostId, name, "new.qcow2", "qcow2", MiB)),
                await Assert.ThrowsAsync<ImageException>(() => Volumes.CloneVolumeAsync(QemuPool.Operator, hostId, file, inside.Name, "copy.raw", "raw")),
                await Assert.ThrowsAsync<ImageException>(() => Volumes.CreateOverlayAsync(QemuPool.Operator, hostId, inside.Name, "over.qcow2", file)),
                await Assert.ThrowsAsync<ImageException>(() => Pools.DeletePoolAsync(QemuPool.Administrator, hostId, name)),
            };

            Assert.All(refusals, e =>
            {
                Assert.Equal(ImageFailure.Forbidden, e.Failure);
                Assert.Contains($"Pool {name} is at {directory}, outside VirtWeb's storage roots", e.Message);
            });
            // Nor through a guest: deleting one with its disks stops at a disk in that pool, before anything is undefined.
            var guest = Unique("vw-outside-guest");
            using (var domain = inside.Connection.DefineDomain($"<domain type='qemu'><name>{guest}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os>" +
                $"<devices><disk type='file' device='disk'><source file='{file}'/><target dev='vda' bus='virtio'/></disk></devices></domain>"))
            {
                try
                {
                    var refused = await Assert.ThrowsAsync<VirtWeb.Guests.GuestActionException>(() =>
                        Service<VirtWeb.Guests.GuestService>().DeleteAsync(QemuPool.Operator, hostId, domain.Uuid, guest, deleteDisks: true));
                    Assert.Contains($"is a volume of pool {name} ({directory}), outside VirtWeb's storage roots", refused.Message);
                    Assert.True(domain.IsPersistent);
                }
                finally
                {
                    domain.Undefine();
                }
            }

            Assert.Equal(sha256, Sha256(file));
            Assert.Equal(["outside.raw"], Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName));
            Assert.Empty(Directory.EnumerateFileSystemEntries(inside.Directory));
            Assert.Contains(name, Virsh("pool-list", "--all", "--name"));
            var download = Assert.Single(await RowsAsync($"/hosts/{hostId}/pools/{name}/volumes/outside.raw", "image.download"));
            Assert.Equal(AuditOutcome.Denied, download.Outcome);
        }
        finally
        {
            Virsh("pool-destroy", name);
            Virsh("pool-undefine", name);
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task PoolUnderTheRoots_CreateUploadDeleteAndRemove_Work()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var name = Unique("vw-inside");
        var directory = QemuPool.ScratchDirectory(name);
        await Pools.CreateDirectoryPoolAsync(QemuPool.Administrator, hostId, name, directory + "/", autostart: false);
        try
        {
            Assert.False(Store.Pools.Current(p => p.HostId == hostId && p.Name == name).Single().OutsideRoots);
            var created = await Volumes.CreateVolumeAsync(QemuPool.Operator, hostId, name, "made.qcow2", "qcow2", MiB);
            var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes((int)MiB);
            var uploaded = await Transfers.UploadAsync(QemuPool.Operator, hostId, name, "sent.raw", "raw", bytes.Length, null, new MemoryStream(bytes), default);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(uploaded));

            await Volumes.DeleteVolumeAsync(QemuPool.Operator, hostId, created);
            await Volumes.DeleteVolumeAsync(QemuPool.Operator, hostId, uploaded);
            await Pools.DeletePoolAsync(QemuPool.Administrator, hostId, name);

            Assert.False(Directory.Exists(directory));
            Assert.DoesNotContain(name, Virsh("pool-list", "--all", "--name"));
        }
        finally
        {
            if (Virsh("pool-list", "--all", "--name").Contains(name, StringComparison.Ordinal))
            {
                Virsh("pool-destroy", name);
                Virsh("pool-delete", name);
                Virsh("pool-undefine", name);
            }
        }
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    /// <summary>virsh on the shared libvirtd; a failing command that only cleans up (already gone) is ignored.</summary>
    private static string Virsh(params string[] arguments)
    {
        try
        {
            return QemuPool.Run("virsh", ["-c", "qemu:///system", .. arguments]);
        }
        catch (InvalidOperationException) when (arguments[0] is "pool-destroy" or "pool-delete" or "pool-undefine")
        {
            return "";
        }
    }

    /// <summary>The real sha256sum program, so the check does not trust the code under test's own reading of the file.</summary>
    private static string Sha256(string path) => QemuPool.Run("sha256sum", path).Split(' ')[0];

    private async Task<IReadOnlyList<AuditRecord>> RowsAsync(string target, string action)
    {
        var rows = await Service<AuditSearch>().SearchAsync(QemuPool.Administrator, new AuditQuery(Target: target, Action: action));
        return rows.Where(r => r.Target == target && r.Action == action).ToList();
    }
}

using System.Security.Cryptography;
using VirtWeb.IntegrationTests.Infrastructure;

namespace VirtWeb.Libvirt.Tests.Qemu;

/// <summary>
/// A transient dir pool under a fresh temp directory on the real libvirtd. libvirtd runs as root and
/// does the file work itself, so no permissions are needed for the QEMU user (no guest uses these).
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class QemuStorageTests
{
    private const ulong MiB = 1UL << 20;

    [QemuFact]
    public async Task DirPool_QcowAndRawVolumes_CreateInfoCloneResizeUploadDownloadDelete()
    {
        using var connection = QemuHost.Open();
        var directory = Path.Combine(Path.GetTempPath(), QemuHost.UniqueName("pool"));
        var poolName = Path.GetFileName(directory);
        var events = new EventWaiter();
        using var pool = connection.DefineStoragePool($"<pool type='dir'><name>{poolName}</name><target><path>{directory}</path></target></pool>");
        using var refreshEvents = connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Refresh, events.Writer, pool);
        try
        {
            pool.Build();
            Assert.True(Directory.Exists(directory));
            pool.Start();
            Assert.Equal("dir", pool.GetDefinition().Type);
            Assert.Equal(directory, pool.GetDefinition().TargetPath);

            using var qcow = pool.CreateVolume(VolumeXml("disk.qcow2", 64 * MiB, "qcow2"));
            using var raw = pool.CreateVolume(VolumeXml("data.raw", 8 * MiB, "raw"));

            // qcow2 grows on write; raw is allocated up front.
            var qcowInfo = qcow.GetInfo();
            Assert.Equal(64 * MiB, qcowInfo.CapacityBytes);
            Assert.True(qcowInfo.AllocationBytes < qcowInfo.CapacityBytes, $"qcow2 allocation {qcowInfo.AllocationBytes}");
            var rawInfo = raw.GetInfo();
            Assert.Equal(8 * MiB, rawInfo.CapacityBytes);
            Assert.Equal(StorageVolumeType.File, rawInfo.Type);
            Assert.Equal(Path.Combine(directory, "data.raw"), raw.Path);
            Assert.Equal("qcow2", qcow.GetDefinition().TargetFormat);

            using var overlay = pool.CreateVolume($"""
                <volume><name>overlay.qcow2</name><capacity unit='MiB'>64</capacity>
                  <target><format type='qcow2'/></target>
                  <backingStore><path>{qcow.Path}</path><format type='qcow2'/></backingStore></volume>
                """);
            Assert.Equal((qcow.Path, "qcow2"), (overlay.GetDefinition().BackingStorePath, overlay.GetDefinition().BackingStoreFormat));

            qcow.Resize(128 * MiB);
            Assert.Equal(128 * MiB, qcow.GetInfo().CapacityBytes);

            var payload = RandomNumberGenerator.GetBytes((int)(3 * MiB) + 12345);
            await raw.UploadAsync(new MemoryStream(payload));
            var downloaded = new MemoryStream();
            await raw.DownloadAsync(downloaded, 0, (ulong)payload.Length);
            Assert.Equal(payload.Length, downloaded.Length);
            Assert.True(payload.AsSpan().SequenceEqual(downloaded.ToArray()), "downloaded bytes differ from the upload");

            using var clone = pool.CloneVolume(VolumeXml("clone.raw", 8 * MiB, "raw"), raw);
            var cloned = new MemoryStream();
            await clone.DownloadAsync(cloned, 0, (ulong)payload.Length);
            Assert.True(payload.AsSpan().SequenceEqual(cloned.ToArray()), "the clone does not hold the source's bytes");

            raw.Wipe();
            using (var afterWipe = raw.OpenDownload(0, 4096))
            {
                var buffer = new byte[4096];
                afterWipe.ReadExactly(buffer);
                Assert.All(buffer, b => Assert.Equal(0, b));
            }

            pool.Refresh();
            await events.WaitForAsync<StoragePoolRefreshEvent>(e => e.PoolName == poolName);
            Assert.Equal(["clone.raw", "data.raw", "disk.qcow2", "overlay.qcow2"], pool.ListVolumes().Select(v => v.Name).Order());

            foreach (var volume in pool.ListVolumes())
            {
                using (volume)
                {
                    volume.Delete();
                }
            }
            Assert.Empty(pool.ListVolumes());
        }
        finally
        {
            if (pool.IsActive)
            {
                foreach (var volume in pool.ListVolumes())
                {
                    using (volume)
                    {
                        volume.Delete();
                    }
                }
                pool.Stop();
            }
            pool.Delete();
            pool.Undefine();
        }
        Assert.False(Directory.Exists(directory));
    }

    [QemuFact]
    public async Task Upload_Cancelled_AbortsTheStreamAndThrows()
    {
        using var connection = QemuHost.Open();
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), QemuHost.UniqueName("cancel"))).FullName;
        using var pool = connection.CreateStoragePool($"<pool type='dir'><name>{Path.GetFileName(directory)}</name><target><path>{directory}</path></target></pool>");
        try
        {
            using var raw = pool.CreateVolume(VolumeXml("data.raw", 4 * MiB, "raw"));
            using var cancellation = new CancellationTokenSource();
            var source = new CancelAfterStream(new MemoryStream(new byte[4 * MiB]), cancellation, after: 512 * 1024);

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => raw.UploadAsync(source, cancellationToken: cancellation.Token));

            // The connection is still usable after the abort.
            Assert.Equal(4 * MiB, raw.GetInfo().CapacityBytes);
            raw.Delete();
        }
        finally
        {
            pool.Stop();
            Directory.Delete(directory, recursive: true);
        }
    }

    [QemuFact]
    public void OpenUpload_DisposedWithoutComplete_AbortsAndLeavesVolumeUsable()
    {
        using var connection = QemuHost.Open();
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), QemuHost.UniqueName("abort"))).FullName;
        using var pool = connection.CreateStoragePool($"<pool type='dir'><name>{Path.GetFileName(directory)}</name><target><path>{directory}</path></target></pool>");
        try
        {
            using var raw = pool.CreateVolume(VolumeXml("data.raw", MiB, "raw"));
            using (var upload = raw.OpenUpload())
            {
                Assert.True(upload.CanWrite);
                Assert.False(upload.CanRead);
                upload.Write(new byte[1024]);
            }

            using var download = raw.OpenDownload(0, 1024);
            Assert.Throws<NotSupportedException>(() => download.Write(new byte[1]));
            Assert.Equal(1024, download.ReadAtLeast(new byte[1024], 1024));
            Assert.Equal(0, download.Read(new byte[16]));
            raw.Delete();
        }
        finally
        {
            pool.Stop();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string VolumeXml(string name, ulong capacityBytes, string format) => $"""
        <volume><name>{name}</name><capacity unit='bytes'>{capacityBytes}</capacity>
          <target><format type='{format}'/></target></volume>
        """;
}

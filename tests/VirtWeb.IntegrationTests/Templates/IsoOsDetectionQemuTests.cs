using VirtWeb.IntegrationTests.Images;
using VirtWeb.Templates;

namespace VirtWeb.IntegrationTests.Templates;

/// <summary>
/// The OS from an ISO's volume label on libvirtd (the test driver cannot download volumes): ISOs built by genisoimage
/// with a known label, uploaded into a pool, read back through libvirt, matched against osinfo-db's patterns.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class IsoOsDetectionQemuTests(VirtWebFactory factory) : IntegrationTest(factory), IAsyncLifetime
{
    private QemuPool _pool = null!;

    public async Task InitializeAsync() => _pool = await QemuPool.CreateAsync(Factory);

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    [Theory]
    [InlineData("Debian 11.5.0 amd64 n", "Debian 11")]
    [InlineData("Debian 10.13.0 amd64 n", "Debian 10")]
    [InlineData("cidata", null)]
    public async Task FindOs_IsoWithAVolumeLabel_ReadsItThroughLibvirtAndNamesTheOsOsinfoKnowsByIt(string label, string? os)
    {
        var path = await UploadAsync("installer.iso", BuildIso(label));

        var detection = await Service<IsoOsDetection>().FindOsAsync(QemuPool.Operator, _pool.HostId, path);

        Assert.Equal((label, os), (detection.Label, detection.Preset?.Name));
    }

    [Fact]
    public async Task FindOs_VolumeThatIsNoIso9660Image_NoLabelAndNoOs()
    {
        var path = await UploadAsync("blank.iso", new byte[64 * 1024]);

        var detection = await Service<IsoOsDetection>().FindOsAsync(QemuPool.Operator, _pool.HostId, path);

        Assert.Equal(new IsoDetection(null, null), detection);
    }

    [Fact]
    public async Task FindOs_CallerWhoMayNotSeeThePool_NothingRead()
    {
        var path = await UploadAsync("debian.iso", BuildIso("Debian 11.5.0 amd64 n"));
        var stranger = QemuPool.Principal("NoSuchRole", "stranger");

        var detection = await Service<IsoOsDetection>().FindOsAsync(stranger, _pool.HostId, path);

        Assert.Equal(new IsoDetection(null, null), detection);
    }

    private async Task<string> UploadAsync(string name, byte[] bytes) =>
        await _pool.Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, name, "raw", bytes.Length, null, new MemoryStream(bytes), CancellationToken.None);

    private static byte[] BuildIso(string label)
    {
        var directory = Directory.CreateTempSubdirectory("vwiso-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "README"), "an installer, in name only\n");
            var iso = Path.Combine(directory.FullName, "out.iso");
            QemuPool.Run("genisoimage", "-quiet", "-V", label, "-o", iso, Path.Combine(directory.FullName, "README"));
            return File.ReadAllBytes(iso);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}

using VirtWeb.IntegrationTests.Images;

namespace VirtWeb.IntegrationTests.Guests;

/// <summary>Clone on libvirtd + QEMU, in a directory pool of its own, checked with qemu-img on the files.</summary>
[Collection(AppCollection.Name)]
public sealed class GuestCloneQemuTests(VirtWebFactory factory) : GuestTest(factory), IAsyncLifetime
{
    private const long GiB = 1L << 30;

    private readonly List<Guid> _defined = [];
    private QemuPool _pool = null!;

    public async Task InitializeAsync() => _pool = await QemuPool.CreateAsync(Factory);

    public async Task DisposeAsync()
    {
        await Task.Run(() =>
        {
            foreach (var uuid in _defined)
            {
                try
                {
                    using var domain = _pool.Connection.GetDomainByUuid(uuid);
                    domain.Undefine();
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                {
                }
            }
        });
        await _pool.DisposeAsync();
    }

    [Theory]
    [InlineData(GuestCloneDisks.Overlay)]
    [InlineData(GuestCloneDisks.FullCopy)]
    public async Task Clone_OnADirectoryPool_TheFilesAreWhatTheModeSays(GuestCloneDisks mode)
    {
        var sourceName = $"vw-clone-src-{Guid.NewGuid():N}"[..24];
        var sourcePath = await _pool.Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, $"{sourceName}.qcow2", "qcow2", GiB);
        var source = Define($"""
            <domain type='qemu'>
              <name>{sourceName}</name>
              <memory unit='MiB'>64</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{sourcePath}'/><target dev='vda' bus='virtio'/></disk>
                <graphics type='vnc' port='5977' autoport='no' listen='127.0.0.1'/>
              </devices>
            </domain>
            """);
        await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(_pool.HostId, source)),
            _ => true, TimeSpan.FromSeconds(30), "the source guest is listed");

        var clone = await Cloning.CloneAsync(QemuPool.Operator, _pool.HostId, source, $"{sourceName}-c", mode);
        _defined.Add(clone.Uuid);

        var clonePath = _pool.PathOf($"{sourceName}-c.qcow2");
        var info = QemuPool.QemuImgInfo(clonePath);
        Assert.Equal(("qcow2", GiB), (info.GetProperty("format").GetString(), info.GetProperty("virtual-size").GetInt64()));
        if (mode == GuestCloneDisks.Overlay)
        {
            Assert.Equal(sourcePath, info.GetProperty("backing-filename").GetString());
        }
        else
        {
            Assert.False(info.TryGetProperty("backing-filename", out _));
        }

        using var domain = _pool.Connection.GetDomainByUuid(clone.Uuid);
        var definition = domain.GetDefinition(DomainXmlFlags.Inactive);
        Assert.Equal(clonePath, Assert.Single(definition.Disks).SourceFile);
        Assert.True(Assert.Single(definition.Graphics).AutoPort, "a fixed VNC port is not copied: both guests could not listen on it");
    }

    private Guid Define(string xml)
    {
        using var domain = _pool.Connection.DefineDomain(xml);
        _defined.Add(domain.Uuid);
        return domain.Uuid;
    }
}

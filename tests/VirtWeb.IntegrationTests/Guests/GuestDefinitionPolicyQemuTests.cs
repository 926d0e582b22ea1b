using VirtWeb.IntegrationTests.Images;

namespace VirtWeb.IntegrationTests.Guests;

/// <summary>
/// Guests reference only volumes, on the real libvirtd: create, XML edit and clone refuse every file outside the pools
/// inside the storage roots, naming the element, before anything is made or defined.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class GuestDefinitionPolicyQemuTests(VirtWebFactory factory) : GuestTest(factory), IAsyncLifetime
{
    private const long MiB = 1L << 20;

    private readonly List<string> _names = [];
    private QemuPool _pool = null!;
    private string _outsideKernel = null!;

    public async Task InitializeAsync()
    {
        _pool = await QemuPool.CreateAsync(Factory);
        // A real file, so only the policy stands between it and the guest.
        _outsideKernel = Path.Combine(Path.GetTempPath(), $"vw-kernel-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(_outsideKernel, new byte[4096]);
    }

    public async Task DisposeAsync()
    {
        await Task.Run(() =>
        {
            foreach (var name in _names)
            {
                try
                {
                    using var domain = _pool.Connection.GetDomainByName(name);
                    domain.Undefine();
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                {
                }
            }
        });
        File.Delete(_outsideKernel);
        await _pool.DisposeAsync();
    }

    public static TheoryData<string, string> RefusedCreates() => new()
    {
        { "iso", "The CD-ROM (sda) names /dev/vda, which is not a volume of a pool inside VirtWeb's storage roots (/var/lib/libvirt/images); pick an ISO from a pool." },
        { "disk", "The disk (vda) names /etc/passwd, which is not a volume of a pool inside VirtWeb's storage roots" },
        { "kernel", "The kernel names /tmp/" },
    };

    [Theory]
    [MemberData(nameof(RefusedCreates))]
    public async Task Create_FileOutsideTheRoots_RefusedNamingTheElementAndNothingMade(string what, string expected)
    {
        var name = Unique();
        var input = what switch
        {
            "iso" => new GuestCreateInput(_pool.HostId, name, MemoryMiB: 64, Disk: GuestDiskChoice.NewQcow2, Pool: _pool.Name, DiskSizeGiB: 1,
                Boot: GuestBootChoice.Iso, IsoPath: "/dev/vda", Network: GuestNetworkChoice.None),
            "disk" => new GuestCreateInput(_pool.HostId, name, MemoryMiB: 64, Disk: GuestDiskChoice.ExistingVolume, ExistingVolumePath: "/etc/passwd",
                Network: GuestNetworkChoice.None),
            _ => new GuestCreateInput(_pool.HostId, name, MemoryMiB: 64, Disk: GuestDiskChoice.NewQcow2, Pool: _pool.Name, DiskSizeGiB: 1,
                Boot: GuestBootChoice.Kernel, KernelPath: _outsideKernel, Network: GuestNetworkChoice.None),
        };

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Creation.CreateAsync(QemuPool.Operator, input));

        Assert.Contains(expected, error.Message);
        Assert.False(Exists(name), "nothing is defined");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_pool.Directory));
        var row = Assert.Single(await RowsAsync($"/hosts/{_pool.HostId}/guests", "guest.create"), r => r.Detail!.StartsWith(name, StringComparison.Ordinal));
        Assert.Equal(AuditOutcome.Denied, row.Outcome);
    }

    [Fact]
    public async Task Create_IsoAndKernelAreVolumesOfAPoolInsideTheRoots_Defined()
    {
        var iso = await _pool.Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "boot.iso", "iso", MiB, null, new MemoryStream(new byte[MiB]), default);
        var kernel = await _pool.Transfers.UploadAsync(QemuPool.Operator, _pool.HostId, _pool.Name, "vmlinuz", "raw", MiB, null, new MemoryStream(new byte[MiB]), default);

        var withIso = await Creation.CreateAsync(QemuPool.Operator, new GuestCreateInput(
            _pool.HostId, Track(Unique()), MemoryMiB: 64, Disk: GuestDiskChoice.None, Boot: GuestBootChoice.Iso, IsoPath: iso, Network: GuestNetworkChoice.None));
        var withKernel = await Creation.CreateAsync(QemuPool.Operator, new GuestCreateInput(
            _pool.HostId, Track(Unique()), MemoryMiB: 64, Disk: GuestDiskChoice.None, Boot: GuestBootChoice.Kernel, KernelPath: kernel, Network: GuestNetworkChoice.None));

        Assert.Equal(iso, Definition(withIso.Name).Disks.Single(d => d.Device == "cdrom").SourceFile);
        Assert.Equal(kernel, Definition(withKernel.Name).Os.Kernel);
    }

    public static TheoryData<string, string> RefusedEdits() => new()
    {
        { "<qemu:commandline><qemu:arg value='-snapshot'/></qemu:commandline>", "<qemu:commandline> passes options straight to QEMU" },
        { "<disk type='file' device='cdrom'><source file='/dev/vda'/><target dev='hdc' bus='ide'/><readonly/></disk>", "The CD-ROM (hdc) names /dev/vda, which is not a volume of a pool inside VirtWeb's storage roots" },
        { "<disk type='file' device='disk'><source file='/etc/passwd'/><target dev='vdb' bus='virtio'/></disk>", "The disk (vdb) names /etc/passwd" },
        { "<disk type='block' device='disk'><source dev='/dev/vda'/><target dev='vdc' bus='virtio'/></disk>", "The disk (vdc) is the raw block device /dev/vda" },
        { "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/><product id='0x0002'/></source></hostdev>", "hands hardware of the host to the guest" },
        { "<filesystem type='mount'><source dir='/etc'/><target dir='etc'/></filesystem>", "shares /etc of the host" },
        { "<serial type='file'><source path='/etc/cron.d/x'/><target port='1'/></serial>", "The serial port 1 names /etc/cron.d/x" },
        { "KERNEL", "The kernel names /tmp/" },
    };

    [Theory]
    [MemberData(nameof(RefusedEdits))]
    public async Task UpdateXml_AddsAReferenceOutsideTheRootsOrPassthrough_RefusedNamingItAndUnchanged(string added, string expected)
    {
        var (uuid, name) = await DefineAsync();
        using var domain = _pool.Connection.GetDomainByUuid(uuid);
        var before = domain.GetXml(DomainXmlFlags.Inactive);
        var edited = added == "KERNEL"
            ? before.Replace("hvm</type>", $"hvm</type><kernel>{_outsideKernel}</kernel>", StringComparison.Ordinal)
            : before.Replace("<domain type='qemu'>", $"<domain type='qemu' xmlns:qemu='{DefinitionScan.QemuNamespace}'>", StringComparison.Ordinal)
                .Replace("</devices>", added.StartsWith("<qemu:", StringComparison.Ordinal) ? "</devices>" + added : added + "</devices>", StringComparison.Ordinal);
        Assert.NotEqual(before, edited);

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Guests.UpdateXmlAsync(QemuPool.Administrator, _pool.HostId, uuid, edited));

        Assert.Contains(expected, error.Message);
        Assert.Equal(before, domain.GetXml(DomainXmlFlags.Inactive));
        var row = (await RowsAsync($"/hosts/{_pool.HostId}/guests/{uuid}", "guest.xml.edit")).Last();
        Assert.Equal(AuditOutcome.Denied, row.Outcome);
        Assert.True(Exists(name));
    }

    [Fact]
    public async Task UpdateXml_KeepsAReferenceItAlreadyHad_Saved()
    {
        // Put there with a shell (the binding, as virsh would): VirtWeb keeps it when it comes back unchanged.
        var (uuid, _) = await DefineAsync($"<kernel>{_outsideKernel}</kernel>");
        using var domain = _pool.Connection.GetDomainByUuid(uuid);
        var before = domain.GetXml(DomainXmlFlags.Inactive);

        await Guests.UpdateXmlAsync(QemuPool.Administrator, _pool.HostId, uuid, before.Replace("<vcpu placement='static'>1</vcpu>", "<vcpu placement='static'>2</vcpu>", StringComparison.Ordinal));

        var after = domain.GetDefinition(DomainXmlFlags.Inactive);
        Assert.Equal((2, _outsideKernel), (after.Vcpus, after.Os.Kernel));
    }

    [Fact]
    public async Task Clone_SourceHasACdromOutsideTheRoots_RefusedAndNothingMade()
    {
        var (uuid, name) = await DefineAsync(devices: "<disk type='file' device='cdrom'><source file='/dev/vda'/><target dev='hdc' bus='ide'/><readonly/></disk>");
        var cloneName = Track(Unique());

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Cloning.CloneAsync(QemuPool.Operator, _pool.HostId, uuid, cloneName, GuestCloneDisks.FullCopy));

        Assert.Contains("The CD-ROM (hdc) names /dev/vda", error.Message);
        Assert.False(Exists(cloneName));
        Assert.Equal([$"{name}.qcow2"], Directory.EnumerateFileSystemEntries(_pool.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Start_LibvirtNamesAFileOutsideTheRoots_MessageHidesThePath()
    {
        // Defined with a shell (the binding, as virsh would): a CD-ROM that does not exist, outside the roots.
        var missing = Path.Combine(Path.GetTempPath(), $"vw-missing-{Guid.NewGuid():N}.iso");
        var (uuid, _) = await DefineAsync(devices: $"<disk type='file' device='cdrom'><source file='{missing}'/><target dev='sdb' bus='sata'/><readonly/></disk>");

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Guests.RunAsync(QemuPool.Operator, _pool.HostId, uuid, GuestAction.Start));

        Assert.DoesNotContain(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("(a path outside VirtWeb's storage roots)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A shut-off guest on a disk volume of the test's pool, with <paramref name="os"/> and <paramref name="devices"/> added.</summary>
    private async Task<(Guid Uuid, string Name)> DefineAsync(string os = "", string devices = "")
    {
        var name = Track(Unique());
        var disk = await _pool.Volumes.CreateVolumeAsync(QemuPool.Operator, _pool.HostId, _pool.Name, $"{name}.qcow2", "qcow2", 64 * MiB);
        using var domain = _pool.Connection.DefineDomain($"""
            <domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type>{os}</os>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{disk}'/><target dev='vda' bus='virtio'/></disk>
                {devices}
                <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
              </devices>
            </domain>
            """);
        await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(_pool.HostId, domain.Uuid)), _ => true, TimeSpan.FromSeconds(30), "the guest is listed");
        return (domain.Uuid, name);
    }

    private string Track(string name)
    {
        _names.Add(name);
        return name;
    }

    private static string Unique() => $"vw-policy-{Guid.NewGuid():N}"[..22];

    private bool Exists(string name)
    {
        try
        {
            using var _ = _pool.Connection.GetDomainByName(name);
            return true;
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            return false;
        }
    }

    private Libvirt.Xml.DomainDefinition Definition(string name)
    {
        using var domain = _pool.Connection.GetDomainByName(name);
        return domain.GetDefinition(DomainXmlFlags.Inactive);
    }

    private async Task<IReadOnlyList<AuditRecord>> RowsAsync(string target, string action)
    {
        var rows = await Service<AuditSearch>().SearchAsync(QemuPool.Administrator, new AuditQuery(Target: target, Action: action));
        return rows.Where(r => r.Target == target && r.Action == action).OrderBy(r => r.Id).ToList();
    }
}

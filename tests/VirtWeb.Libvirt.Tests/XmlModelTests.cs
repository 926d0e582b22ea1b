using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt.Tests;

/// <summary>Parsing real XML captured from virsh (see Fixtures/), so the models follow what libvirt emits.</summary>
public sealed class XmlModelTests
{
    [Fact]
    public void HostCapabilities_QemuHost_ParsesCpuTopologyNumaAndGuests()
    {
        var capabilities = HostCapabilities.Parse(Fixtures.Read("qemu-capabilities.xml"));

        Assert.Equal(Guid.Parse("30be4015-704e-4c37-ad87-aae0903ef65b"), capabilities.HostUuid);
        Assert.Equal("x86_64", capabilities.Cpu.Arch);
        Assert.Equal("kvm64", capabilities.Cpu.Model);
        Assert.Equal("AMD", capabilities.Cpu.Vendor);
        Assert.Equal(new CpuTopology(1, 1, 2, 1), capabilities.Cpu.Topology);
        Assert.Contains("ssse3", capabilities.Cpu.Features);
        var cell = Assert.Single(capabilities.NumaCells);
        Assert.Equal(5334816UL, cell.MemoryKiB);
        Assert.Equal([0, 1], cell.CpuIds);
        var x86 = Assert.Single(capabilities.Guests, g => g.Arch == "x86_64");
        Assert.Equal("hvm", x86.OsType);
        Assert.Equal(64, x86.WordSize);
        Assert.Equal("/usr/bin/qemu-system-x86_64", x86.Emulator);
        Assert.Contains("pc", x86.Machines);
        Assert.Contains("qemu", x86.DomainTypes);
        // Captured on a machine without /dev/kvm: TCG only, no VT-x/AMD-V flag.
        Assert.False(capabilities.IsKvmAvailable);
        Assert.False(capabilities.HasHardwareVirtualization);
    }

    [Fact]
    public void HostCapabilities_TestDriver_ParsesFeatureElementsAndTwoCells()
    {
        var capabilities = HostCapabilities.Parse(Fixtures.Read("test-capabilities.xml"));

        Assert.Null(capabilities.HostUuid);
        Assert.Equal("i686", capabilities.Cpu.Arch);
        Assert.Equal(["pae", "nonpae"], capabilities.Cpu.Features);
        Assert.Equal(2, capabilities.NumaCells.Count);
        Assert.Equal(8, capabilities.NumaCells[1].CpuIds.Count);
        Assert.Equal(4194304UL, capabilities.NumaCells[1].MemoryKiB);
        Assert.Equal(["hvm", "xen"], capabilities.Guests.Select(g => g.OsType));
        Assert.All(capabilities.Guests, g => Assert.Equal(["test"], g.DomainTypes));
    }

    [Fact]
    public void HostCapabilities_VmxFlagAndKvmGuest_ReportHardwareVirtualizationAndKvm()
    {
        const string xml = """
            <capabilities>
              <host><cpu><arch>x86_64</arch><feature name='vmx'/><topology sockets='1' cores='4' threads='2'/></cpu></host>
              <guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest>
              <future-element/>
            </capabilities>
            """;

        var capabilities = HostCapabilities.Parse(xml);

        Assert.True(capabilities.HasHardwareVirtualization);
        Assert.True(capabilities.IsKvmAvailable);
        Assert.Equal(new CpuTopology(1, 1, 4, 2), capabilities.Cpu.Topology);
    }

    [Fact]
    public void DomainCapabilities_QemuWithoutKvm_ReportsEmulatorMachineAndTcg()
    {
        var capabilities = DomainCapabilities.Parse(Fixtures.Read("qemu-domcapabilities.xml"));

        Assert.Equal("/usr/bin/qemu-system-x86_64", capabilities.EmulatorPath);
        Assert.Equal("qemu", capabilities.DomainType);
        Assert.False(capabilities.IsKvm);
        Assert.Equal("pc-i440fx-7.2", capabilities.Machine);
        Assert.Equal("x86_64", capabilities.Arch);
        Assert.Equal(255, capabilities.MaxVcpus);
        Assert.Contains("kvm64", capabilities.CpuModels);
    }

    [Fact]
    public void DomainDefinition_RichQemuGuest_ParsesEverySection()
    {
        var domain = DomainDefinition.Parse(Fixtures.Read("qemu-domain-rich.xml"));

        Assert.Equal("qemu", domain.Type);
        Assert.Equal("virtweb-fixture-rich", domain.Name);
        Assert.Equal(Guid.Parse("5d9a1c1e-3b6f-4f52-9d8e-0a1b2c3d4e5f"), domain.Uuid);
        Assert.Null(domain.Id);
        Assert.Equal("Fixture guest", domain.Title);
        Assert.Equal(512UL * 1024, domain.MemoryKiB);
        Assert.Equal(256UL * 1024, domain.CurrentMemoryKiB);
        Assert.Equal(2, domain.Vcpus);
        Assert.Equal(new DomainOs("hvm", "x86_64", "pc-i440fx-7.2", null, null, null, domain.Os.BootDevices), domain.Os);
        Assert.Equal(["hd", "cdrom"], domain.Os.BootDevices);
        Assert.Equal(["acpi", "apic", "pae"], domain.Features);

        Assert.Equal(3, domain.Disks.Count);
        Assert.Equal(new DomainDisk("file", "disk", "qemu", "qcow2", "/var/lib/libvirt/images/fixture.qcow2", null, null, null, "vda", "virtio", false), domain.Disks[0]);
        Assert.Equal(("volume", "raw", "default", "data.raw", "sda", "sata"),
            (domain.Disks[1].Type, domain.Disks[1].DriverType, domain.Disks[1].SourcePool, domain.Disks[1].SourceVolume, domain.Disks[1].TargetDev, domain.Disks[1].TargetBus));
        Assert.Equal("cdrom", domain.Disks[2].Device);
        Assert.True(domain.Disks[2].ReadOnly);
        Assert.Null(domain.Disks[2].SourceFile);

        Assert.Equal(new DomainInterface("network", "default", null, "52:54:00:12:34:56", "virtio", null), domain.Interfaces[0]);
        Assert.Equal(new DomainInterface("bridge", null, "br0", "52:54:00:65:43:21", "e1000", null), domain.Interfaces[1]);

        var graphics = Assert.Single(domain.Graphics);
        Assert.Equal(new DomainGraphics("vnc", null, true, "127.0.0.1", null, null), graphics);

        var channel = Assert.Single(domain.Channels);
        Assert.Equal(("unix", "virtio", "org.qemu.guest_agent.0"), (channel.Type, channel.TargetType, channel.TargetName));

        Assert.Equal(["io.systemd.credential:hostname=fixture", "virtweb:owner=ops"], domain.OemStrings);
        var metadata = domain.Metadata["https://virtweb.example/xmlns/guest/1"];
        Assert.Equal("0123456789abcdef0123456789abcdef", metadata.Elements().Single().Value);

        Assert.Equal(VirtualizationMode.Hybrid, domain.VirtualizationMode);
    }

    [Fact]
    public void DomainDefinition_DirectKernelBoot_ParsesKernelInitrdAndCmdline()
    {
        var domain = DomainDefinition.Parse(Fixtures.Read("qemu-domain-kernel.xml"));

        Assert.Equal("/var/lib/libvirt/boot/vmlinuz", domain.Os.Kernel);
        Assert.Equal("/var/lib/libvirt/boot/initrd.img", domain.Os.Initrd);
        Assert.Equal("console=ttyS0 root=/dev/vda", domain.Os.Cmdline);
        Assert.Empty(domain.Disks);
        Assert.Equal(VirtualizationMode.Full, domain.VirtualizationMode);
    }

    [Fact]
    public void DomainDefinition_RunningQemuGuest_HasIdAndAssignedVncPort()
    {
        var domain = DomainDefinition.Parse(Fixtures.Read("qemu-domain-running.xml"));

        Assert.NotNull(domain.Id);
        var graphics = Assert.Single(domain.Graphics);
        Assert.Equal("vnc", graphics.Type);
        Assert.Equal(5900, graphics.Port);
        Assert.Equal("127.0.0.1", graphics.ListenAddress);
    }

    [Fact]
    public void DomainDefinition_TestDriverGuest_ParsesDefaults()
    {
        var domain = DomainDefinition.Parse(Fixtures.Read("test-domain.xml"));

        Assert.Equal("test", domain.Type);
        Assert.Equal(1, domain.Id);
        Assert.Equal(8388608UL, domain.MemoryKiB);
        Assert.Equal("/guest/diskimage1", Assert.Single(domain.Disks).SourceFile);
        Assert.Equal("testnet0", Assert.Single(domain.Interfaces).TargetDev);
        Assert.Empty(domain.Metadata);
    }

    [Theory]
    [InlineData("exe", VirtualizationMode.Container)]
    [InlineData("xen", VirtualizationMode.Para)]
    [InlineData("linux", VirtualizationMode.Para)]
    [InlineData("hvm", VirtualizationMode.Full)]
    public void DomainDefinition_OsType_DerivesVirtualizationMode(string osType, VirtualizationMode expected)
    {
        var domain = DomainDefinition.Parse($"<domain type='x'><name>n</name><os><type>{osType}</type></os></domain>");

        Assert.Equal(expected, domain.VirtualizationMode);
    }

    [Fact]
    public void DomainDefinition_UnknownElementsAndSiUnits_AreTolerated()
    {
        var domain = DomainDefinition.Parse("""
            <domain type='kvm'>
              <name>n</name><memory unit='GB'>1</memory><vcpu>4</vcpu>
              <os><type>hvm</type></os>
              <devices><gizmo/><graphics type='vnc' listen='0.0.0.0'><listen type='socket' socket='/run/vnc.sock'/></graphics></devices>
              <something xmlns='urn:future'/>
            </domain>
            """);

        Assert.Equal(1000_000_000UL / 1024, domain.MemoryKiB);
        Assert.Equal("/run/vnc.sock", domain.Graphics[0].ListenSocket);
    }

    [Fact]
    public void DomainDefinition_WrongRoot_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => DomainDefinition.Parse("<pool/>"));
        Assert.Throws<FormatException>(() => DomainDefinition.Parse("<domain"));
    }

    [Fact]
    public void StoragePoolDefinition_QemuDirPool_ParsesSizesAndTarget()
    {
        var pool = StoragePoolDefinition.Parse(Fixtures.Read("qemu-pool-dir.xml"));

        Assert.Equal("dir", pool.Type);
        Assert.Equal("fxpool", pool.Name);
        Assert.Equal(Guid.Parse("189aafe5-4695-450f-8c1a-f761130feeff"), pool.Uuid);
        Assert.Equal(270553174016UL, pool.CapacityBytes);
        Assert.Equal(15203041280UL, pool.AllocationBytes);
        Assert.Equal(255350132736UL, pool.AvailableBytes);
        Assert.Equal("/tmp/fxpool", pool.TargetPath);
    }

    [Fact]
    public void StoragePoolDefinition_TestDriver_ParsesDefaultPool()
    {
        var pool = StoragePoolDefinition.Parse(Fixtures.Read("test-pool.xml"));

        Assert.Equal(("default-pool", 107374182400UL, "/default-pool"), (pool.Name, pool.CapacityBytes!.Value, pool.TargetPath));
    }

    [Fact]
    public void StorageVolumeDefinition_QcowOverlay_ParsesVirtualSizeAllocationAndBackingStore()
    {
        var volume = StorageVolumeDefinition.Parse(Fixtures.Read("qemu-volume-qcow2-overlay.xml"));

        Assert.Equal(new StorageVolumeDefinition(
            "file", "overlay.qcow2", "/tmp/fxpool/overlay.qcow2", 67108864, 200704, 196616,
            "/tmp/fxpool/overlay.qcow2", "qcow2", "/tmp/fxpool/base.qcow2", "qcow2"), volume);
    }

    [Fact]
    public void StorageVolumeDefinition_RawVolume_IsFullyAllocated()
    {
        var volume = StorageVolumeDefinition.Parse(Fixtures.Read("qemu-volume-raw.xml"));

        Assert.Equal("raw", volume.TargetFormat);
        Assert.Equal(volume.CapacityBytes, volume.AllocationBytes);
        Assert.Null(volume.BackingStorePath);
    }

    [Theory]
    [InlineData("raw", null, 4294967296UL)]
    [InlineData("qcow2", null, 0UL)]
    [InlineData("qcow2", 1048576UL, 1048576UL)]
    public void StorageVolumeDefinition_BuildXml_RoundTripsNameSizesAndFormat(string format, ulong? allocation, ulong expectedAllocation)
    {
        var volume = StorageVolumeDefinition.Parse(StorageVolumeDefinition.BuildXml("disk & <data>", 4294967296, format, allocation));

        Assert.Equal(new StorageVolumeDefinition(
            "file", "disk & <data>", null, 4294967296, expectedAllocation, null, null, format, null, null), volume);
    }

    [Fact]
    public void StorageVolumeDefinition_BuildXmlWithBacking_RoundTripsAsOverlay()
    {
        var volume = StorageVolumeDefinition.Parse(
            StorageVolumeDefinition.BuildXml("web.qcow2", 67108864, "qcow2", backingPath: "/pool/base image.raw", backingFormat: "raw"));

        Assert.Equal(("web.qcow2", 67108864UL, 0UL, "qcow2"), (volume.Name, volume.CapacityBytes!.Value, volume.AllocationBytes!.Value, volume.TargetFormat));
        Assert.Equal(("/pool/base image.raw", "raw"), (volume.BackingStorePath, volume.BackingStoreFormat));
    }

    [Fact]
    public void StorageVolumeDefinition_BuildXmlWithPathButNoFormat_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => StorageVolumeDefinition.BuildXml("web.qcow2", 1, "qcow2", backingPath: "/pool/base.raw"));

        Assert.Equal("backingFormat", error.ParamName);
    }
}

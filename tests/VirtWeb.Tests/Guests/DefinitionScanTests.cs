using System.Xml.Linq;

namespace VirtWeb.Tests.Guests;

public sealed class DefinitionScanTests
{
    private static IReadOnlyList<DefinitionReference> Scan(string devices, string os = "", string extra = "", string attributes = "") =>
        DefinitionScan.Scan(XElement.Parse($"""
            <domain type='kvm'{attributes}><name>g</name><memory>65536</memory>
              <os><type arch='x86_64'>hvm</type>{os}</os>{extra}
              <devices>{devices}</devices>
            </domain>
            """));

    [Fact]
    public void Scan_GeneratedGuest_NamesOnlyItsVolumes()
    {
        var found = Scan("""
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/g.qcow2'/><target dev='vda' bus='virtio'/></disk>
            <disk type='file' device='cdrom'><source file='/var/lib/libvirt/images/d.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
            <disk type='file' device='cdrom'><target dev='sdb' bus='sata'/></disk>
            <interface type='network'><source network='default'/><model type='virtio'/></interface>
            <serial type='pty'><target port='0'/></serial>
            <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
            <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
            <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
            <audio id='1' type='none'/>
            """, os: "<kernel>/var/lib/libvirt/images/vmlinuz</kernel>");

        Assert.Equal(
            [
                (ReferenceKind.File, "the kernel", "/var/lib/libvirt/images/vmlinuz"),
                (ReferenceKind.Emulator, "the emulator", "/usr/bin/qemu-system-x86_64"),
                (ReferenceKind.File, "the disk (vda)", "/var/lib/libvirt/images/g.qcow2"),
                (ReferenceKind.File, "the CD-ROM (sda)", "/var/lib/libvirt/images/d.iso"),
            ],
            found.Select(r => (r.Kind, r.Element, r.Value)));
    }

    [Theory]
    [InlineData("<disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vdb'/></disk>", "The disk (vdb) is the raw block device /dev/sda")]
    [InlineData("<disk type='network' device='disk'><source protocol='nbd' name='x'><host transport='unix' socket='/run/x'/></source><target dev='vdb'/></disk>", "protocol nbd")]
    [InlineData("<disk type='dir' device='floppy'><source dir='/root'/><target dev='fda'/></disk>", "The floppy (fda) exposes the host directory /root")]
    [InlineData("<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>", "<hostdev mode='subsystem' type='pci' managed='yes'> hands hardware of the host")]
    [InlineData("<filesystem type='mount'><source dir='/'/><target dir='host'/></filesystem>", "shares / of the host")]
    [InlineData("<input type='passthrough' bus='virtio'><source evdev='/dev/input/event1'/></input>", "hands the host's /dev/input/event1")]
    [InlineData("<input type='evdev'><source dev='/dev/input/event2'/></input>", "hands the host's /dev/input/event2")]
    [InlineData("<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>", "hands the host's TPM")]
    [InlineData("<smartcard mode='host'/>", "card reader")]
    [InlineData("<smartcard mode='passthrough' type='tcp'><source mode='connect' host='10.0.0.1' service='2001'/></smartcard>", "card reader")]
    [InlineData("<redirdev bus='usb' type='tcp'><source mode='connect' host='10.0.0.1' service='4000'/></redirdev>", "USB redirection")]
    [InlineData("<shmem name='x'><server path='/tmp/s'/></shmem>", "maps memory of the host")]
    [InlineData("<graphics type='vnc' listen='0.0.0.0'/>", "The VNC display listens on 0.0.0.0")]
    [InlineData("<graphics type='spice'><listen type='address' address='192.168.1.5'/></graphics>", "The SPICE display listens on 192.168.1.5")]
    [InlineData("<graphics type='vnc'><listen type='network' network='default'/></graphics>", "addresses of the libvirt network default")]
    [InlineData("<graphics type='vnc'><listen type='socket' socket='/run/libvirt/libvirt-sock'/></graphics>", "UNIX socket /run/libvirt/libvirt-sock")]
    [InlineData("<serial type='tcp'><source mode='bind' host='0.0.0.0' service='2445'/><target port='0'/></serial>", "The serial port 0 listens on 0.0.0.0:2445")]
    [InlineData("<serial type='dev'><source path='/dev/ttyS0'/><target port='0'/></serial>", "connected to the host's dev /dev/ttyS0")]
    [InlineData("<channel type='unix'><source mode='connect' path='/run/libvirt/libvirt-sock'/><target type='virtio' name='x'/></channel>", "The channel x uses the UNIX socket /run/libvirt/libvirt-sock")]
    [InlineData("<interface type='ethernet'><script path='/etc/qemu-ifup'/></interface>", "runs the program /etc/qemu-ifup")]
    [InlineData("<interface type='hostdev'><source><address type='pci' domain='0' bus='1' slot='0' function='0'/></source></interface>", "hands a network device of the host")]
    [InlineData("<rng model='virtio'><backend model='random'>/dev/sda</backend></rng>", "reads the host's /dev/sda")]
    [InlineData("<disk type='file' device='disk'><source file='/var/lib/libvirt/images/a.qcow2'><seclabel model='dac' relabel='no'/></source><target dev='vda'/></disk>", "relabel='no'")]
    public void Scan_PassthroughOrHostResource_Refused(string device, string expected)
    {
        var refused = Scan(device).Where(r => r.Kind == ReferenceKind.Refused).Select(r => r.Value).ToList();

        Assert.Contains(refused, m => m.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("<serial type='file'><source path='/etc/cron.d/job'/><target port='0'/></serial>", "the serial port 0", "/etc/cron.d/job")]
    [InlineData("<serial type='pty'><log file='/root/.bashrc'/><target port='0'/></serial>", "the serial port 0's log file", "/root/.bashrc")]
    [InlineData("<disk type='file' device='disk'><source file='/v/a.qcow2'/><backingStore type='file'><source file='/etc/shadow'/></backingStore><target dev='vda'/></disk>", "the disk (vda)'s backing file", "/etc/shadow")]
    [InlineData("<interface type='network'><source network='default'/><rom file='/etc/passwd'/></interface>", "a network interface's option ROM", "/etc/passwd")]
    [InlineData("<audio id='1' type='file' path='/etc/motd'/>", "the <audio>", "/etc/motd")]
    [InlineData("<memory model='nvdimm'><source><path>/dev/mem</path></source><target><size unit='MiB'>1</size></target></memory>", "the memory device (nvdimm)", "/dev/mem")]
    public void Scan_FileDevice_IsAFileToCheck(string device, string element, string path) =>
        Assert.Contains(Scan(device), r => r is { Kind: ReferenceKind.File } && r.Element == element && r.Value == path);

    [Fact]
    public void Scan_Firmware_LoaderNvramAndTablesCount()
    {
        var found = Scan("", os: "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram template='/x/VARS.fd'>/var/lib/libvirt/qemu/nvram/g_VARS.fd</nvram><initrd>/boot/initrd</initrd><dtb>/boot/dtb</dtb><acpi><table type='slic'>/etc/slic</table></acpi>");

        Assert.Equal(
            [
                (ReferenceKind.File, "the initrd", "/boot/initrd"),
                (ReferenceKind.File, "the device tree (dtb)", "/boot/dtb"),
                (ReferenceKind.File, "the ACPI table slic", "/etc/slic"),
                (ReferenceKind.Loader, "the firmware loader", "/usr/share/OVMF/OVMF_CODE_4M.fd"),
                (ReferenceKind.File, "the NVRAM store", "/var/lib/libvirt/qemu/nvram/g_VARS.fd"),
                (ReferenceKind.File, "the NVRAM template", "/x/VARS.fd"),
            ],
            found.Select(r => (r.Kind, r.Element, r.Value)));
    }

    [Theory]
    [InlineData("<qemu:commandline><qemu:arg value='-drive'/></qemu:commandline>", "<qemu:commandline> passes options straight to QEMU")]
    [InlineData("<qemu:capabilities><qemu:add capability='blockdev'/></qemu:capabilities>", "<qemu:capabilities> passes options")]
    [InlineData("<qemu:override><qemu:device alias='x'/></qemu:override>", "<qemu:override> passes options")]
    [InlineData("<qemu:deprecation behavior='crash'/>", "<qemu:deprecation> passes options")]
    [InlineData("<lxc:namespace><lxc:sharenet type='netns' value='red'/></lxc:namespace>", "<lxc:namespace> is in the namespace http://libvirt.org/schemas/domain/lxc/1.0")]
    [InlineData("<seclabel type='none'/>", "switches off the confinement")]
    [InlineData("<seclabel type='static' model='dac'><label>+0:+0</label></seclabel>", "under a label chosen in the XML")]
    [InlineData("<seclabel type='dynamic' model='selinux' relabel='no'/>", "relabel='no'")]
    [InlineData("<bootloader>/usr/bin/pygrub</bootloader>", "is a program the host runs")]
    public void Scan_DriverNamespaceSeclabelOrProgram_Refused(string extra, string expected)
    {
        var found = Scan("", extra: extra,
            attributes: " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0' xmlns:lxc='http://libvirt.org/schemas/domain/lxc/1.0'");

        var refused = Assert.Single(found, r => r.Kind == ReferenceKind.Refused);
        Assert.Contains(expected, refused.Value);
    }

    [Fact]
    public void Scan_NamespacedMetadata_IsTheApplicationsOwn()
    {
        var found = Scan("", extra: "<metadata><vw:x xmlns:vw='urn:virtweb' file='/etc/passwd'/></metadata>");

        Assert.Empty(found);
    }

    [Fact]
    public void Scan_SameDeviceWithLibvirtsAddresses_HasTheSameKey()
    {
        var written = Scan("<hostdev mode='subsystem' type='usb'><source><vendor id='0x1'/><product id='0x2'/></source></hostdev>").Single();
        var returned = Scan("<hostdev mode='subsystem' type='usb'><source><vendor id='0x1'/><product id='0x2'/></source><alias name='hostdev0'/><address type='usb' bus='0' port='1'/></hostdev>").Single();

        Assert.Equal(written.Key, returned.Key);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("::1", true)]
    [InlineData("localhost", true)]
    [InlineData(null, true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("example.org", false)]
    public void IsLoopback_Address(string? address, bool loopback) => Assert.Equal(loopback, DefinitionScan.IsLoopback(address));
}

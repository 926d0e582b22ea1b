using System.Text;

namespace VirtWeb.IntegrationTests.Snapshots;

/// <summary>
/// A private test-driver world for snapshots: "web" running and "db" shut off on qcow2 disks, "flat" running on a raw
/// disk, "efi" shut off booting UEFI from pflash and "huge" running with more memory (200 GiB) than the pool "images"
/// has free (the test driver gives every pool 100 GiB, whatever the world says).
/// </summary>
public static class SnapshotWorld
{
    public static readonly Guid Web = Guid.Parse("22222222-0000-0000-0000-000000000001");
    public static readonly Guid Db = Guid.Parse("22222222-0000-0000-0000-000000000002");
    public static readonly Guid Flat = Guid.Parse("22222222-0000-0000-0000-000000000003");
    public static readonly Guid Efi = Guid.Parse("22222222-0000-0000-0000-000000000004");
    public static readonly Guid Huge = Guid.Parse("22222222-0000-0000-0000-000000000005");

    public static string Write()
    {
        var xml = new StringBuilder("""
            <?xml version="1.0"?>
            <node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
              <cpu><mhz>2400</mhz><model>i686</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>2</threads><active>8</active></cpu>
              <memory>8388608</memory>
            """);
        Guest(xml, "web", Web, running: true, "qcow2");
        Guest(xml, "db", Db, running: false, "qcow2");
        Guest(xml, "flat", Flat, running: true, "raw");
        Guest(xml, "efi", Efi, running: false, "qcow2", "<loader readonly='yes' type='pflash'>/images/OVMF_CODE.fd</loader>");
        Guest(xml, "huge", Huge, running: true, "qcow2", memoryMiB: 200 * 1024);
        xml.Append($"""
              <pool type='dir'>
                <name>images</name>
                <uuid>aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee</uuid>
                <capacity unit='GiB'>100</capacity><allocation unit='GiB'>0</allocation><available unit='GiB'>100</available>
                <source/>
                <target><path>/images</path></target>
            """);
        foreach (var (name, format) in new[] { ("web", "qcow2"), ("db", "qcow2"), ("flat", "raw"), ("efi", "qcow2"), ("huge", "qcow2") })
        {
            xml.Append($"""
                    <volume type='file'><name>{name}.{format}</name><capacity unit='GiB'>1</capacity><allocation unit='MiB'>1</allocation><target><format type='{format}'/></target></volume>
                """);
        }

        xml.Append("""
              </pool>
            </node>
            """);
        return TestWorlds.Write("snapshots", xml.ToString());
    }

    private static void Guest(StringBuilder xml, string name, Guid uuid, bool running, string format, string loader = "", int memoryMiB = 256) =>
        xml.Append($"""
              <domain type='test'>
                <name>{name}</name>
                <uuid>{uuid}</uuid>
                <memory unit='MiB'>{memoryMiB}</memory>
                <vcpu>1</vcpu>
                <os><type arch='i686'>hvm</type>{loader}<boot dev='hd'/></os>
                <devices>
                  <disk type='file' device='disk'><driver name='qemu' type='{format}'/><source file='/images/{name}.{format}'/><target dev='vda' bus='virtio'/></disk>
                </devices>
                {(running ? "" : "<test:runstate>5</test:runstate>")}
              </domain>
            """);
}

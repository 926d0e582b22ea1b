namespace VirtWeb.IntegrationTests.Images;

/// <summary>
/// A private test-driver world written to a temp file: each host opened on <c>test:///&lt;file&gt;</c> gets its own
/// copy, so storage tests never touch the shared <c>test:///default</c>.
/// </summary>
public static class StorageWorld
{
    public static string Write()
    {
        return TestWorlds.Write("storage-world", """
            <?xml version="1.0"?>
            <node>
              <cpu><mhz>2400</mhz><model>i686</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active></cpu>
              <memory>4194304</memory>
              <domain type='test'>
                <name>web1</name>
                <uuid>11111111-2222-3333-4444-000000000001</uuid>
                <memory unit='MiB'>256</memory>
                <vcpu>1</vcpu>
                <os><type arch='i686'>hvm</type></os>
                <devices>
                  <disk type='file' device='disk'>
                    <driver name='qemu' type='qcow2'/>
                    <source file='/images/web1.qcow2'/>
                    <target dev='vda' bus='virtio'/>
                  </disk>
                </devices>
              </domain>
              <pool type='dir'>
                <name>images</name>
                <uuid>aaaaaaaa-bbbb-cccc-dddd-000000000001</uuid>
                <capacity unit='GiB'>100</capacity>
                <allocation unit='GiB'>10</allocation>
                <available unit='GiB'>90</available>
                <source/>
                <target><path>/images</path></target>
                <volume type='file'>
                  <name>base.qcow2</name>
                  <capacity unit='GiB'>10</capacity>
                  <allocation unit='MiB'>900</allocation>
                  <target><format type='qcow2'/></target>
                </volume>
                <volume type='file'>
                  <name>web1.qcow2</name>
                  <capacity unit='GiB'>10</capacity>
                  <allocation unit='MiB'>20</allocation>
                  <target><format type='qcow2'/></target>
                  <backingStore><path>/images/base.qcow2</path><format type='qcow2'/></backingStore>
                </volume>
              </pool>
            </node>
            """);
    }
}

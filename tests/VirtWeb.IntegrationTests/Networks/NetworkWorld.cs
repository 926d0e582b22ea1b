namespace VirtWeb.IntegrationTests.Networks;

/// <summary>
/// A private test-driver world with networks: "default" (NAT 192.168.122.0/24, active) used by "web" (running, card
/// <see cref="WebMac"/>) and "db" (shut off, <see cref="DbMac"/>), a
/// host NIC eth1 at 192.168.0.5/24 and a host bridge br0 at 172.30.0.2/16.
/// </summary>
public static class NetworkWorld
{
    public const string WebUuid = "22222222-0000-4000-8000-000000000001";
    public const string DbUuid = "22222222-0000-4000-8000-000000000002";
    public const string WebMac = "52:54:00:aa:00:01";
    public const string DbMac = "52:54:00:aa:00:02";

    public static string Write() => TestWorlds.Write("networks", $"""
        <?xml version="1.0"?>
        <node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
          <cpu><mhz>2400</mhz><model>i686</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active></cpu>
          <memory>4194304</memory>
          <network>
            <name>default</name>
            <forward mode='nat'/>
            <bridge name='virbr0' stp='on' delay='0'/>
            <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip>
          </network>
          <interface type='ethernet' name='eth1'>
            <start mode='onboot'/><mac address='aa:bb:cc:dd:ee:ff'/>
            <protocol family='ipv4'><ip address='192.168.0.5' prefix='24'/></protocol>
          </interface>
          <interface type='bridge' name='br0'>
            <start mode='onboot'/>
            <protocol family='ipv4'><ip address='172.30.0.2' prefix='16'/></protocol>
            <bridge stp='off'><interface type='ethernet' name='eth2'><mac address='aa:bb:cc:dd:ee:01'/></interface></bridge>
          </interface>
          {Guest("web", WebUuid, WebMac, running: true)}
          {Guest("db", DbUuid, DbMac, running: false)}
        </node>
        """);

    /// <summary>Stops and forgets the named networks on the machine's libvirtd, whatever state they are in (test clean-up).</summary>
    public static void RemoveQemuNetworks(IEnumerable<string> names)
    {
        using var connection = LibvirtConnection.Open("qemu:///system");
        foreach (var name in names)
        {
            try
            {
                using var network = connection.GetNetworkByName(name);
                if (network.IsActive)
                {
                    network.Stop();
                }

                if (network.IsPersistent)
                {
                    network.Undefine();
                }
            }
            catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoNetwork)
            {
            }
        }
    }

    private static string Guest(string name, string uuid, string mac, bool running) => $"""
        <domain type='test'>
          <name>{name}</name>
          <uuid>{uuid}</uuid>
          <memory unit='MiB'>256</memory>
          <vcpu>1</vcpu>
          <os><type arch='i686'>hvm</type></os>
          <devices>
            <interface type='network'><mac address='{mac}'/><source network='default'/><model type='virtio'/></interface>
          </devices>
          {(running ? "" : "<test:runstate>5</test:runstate>")}
        </domain>
        """;
}

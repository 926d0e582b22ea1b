using VirtWeb.Libvirt.Tests.Qemu;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt.Tests.Networks;

/// <summary>
/// NAT networks on the real libvirtd: a bridge and dnsmasq come up and go away. Every network is named vwtest-… with a
/// bridge vwt…, transient (gone when stopped), and stopped in finally even when an assertion fails.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class QemuNetworkTests
{
    [QemuFact]
    public async Task CreateNatNetwork_DnsmasqServes_LeasesListedAndHostEntriesUpdatedLive()
    {
        using var connection = QemuHost.Open();
        var (name, bridge, subnet) = TestNetworks.Unique();
        var events = new EventWaiter();
        using var subscription = connection.SubscribeNetworkEvents(NetworkEventKind.Lifecycle, events.Writer);
        var xml = new NetworkDefinition(name, null, NetworkMode.Nat, null, null, bridge,
            [new NetworkAddress($"{subnet}.1", 24, new DhcpRange($"{subnet}.100", $"{subnet}.200"), [])], []).Build();
        using var network = connection.CreateNetwork(xml);
        try
        {
            Assert.True(network.IsActive);
            Assert.False(network.IsPersistent);
            Assert.Equal(bridge, network.BridgeName);
            Assert.True(Directory.Exists($"/sys/class/net/{bridge}"), $"bridge {bridge} is not on the host");
            Assert.Empty(network.GetDhcpLeases());

            network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpHost,
                new DhcpHost("52:54:00:12:34:56", $"{subnet}.42", "fixed").ToXml(), NetworkUpdateFlags.Live);
            Assert.Equal("52:54:00:12:34:56", Assert.Single(Assert.Single(network.GetDefinition().Addresses).Hosts).Mac);
            var started = await events.WaitForAsync<NetworkLifecycleEvent>(e => e.NetworkName == name && e.Type == NetworkLifecycleEventType.Started);
            Assert.Equal(network.Uuid, started.NetworkUuid);
        }
        finally
        {
            TestNetworks.StopQuietly(network);
        }

        Assert.False(Directory.Exists($"/sys/class/net/{bridge}"), $"bridge {bridge} was left on the host");
        Assert.Equal(LibvirtErrorCode.NoNetwork, Assert.Throws<LibvirtException>(() => connection.GetNetworkByName(name)).Code);
    }

    [QemuFact]
    public async Task TinyGuestOnNatNetwork_Boots_LeaseCarriesItsMacAndMachineIdDerivedClientId()
    {
        using var connection = QemuHost.Open();
        var (name, bridge, subnet) = TestNetworks.Unique();
        using var network = connection.CreateNetwork(new NetworkDefinition(name, null, NetworkMode.Nat, null, null, bridge,
            [new NetworkAddress($"{subnet}.1", 24, new DhcpRange($"{subnet}.100", $"{subnet}.200"), [])], []).Build());
        try
        {
            var machineId = VirtWeb.TestGuest.TinyGuest.NewMachineId();
            await using var guest = await VirtWeb.TestGuest.TinyGuest.BootAsync(new() { NamePrefix = "net", MachineId = machineId, Network = name, Mac = "52:54:00:7e:00:01" });

            var lease = await TestNetworks.WaitForLeaseAsync(network, "52:54:00:7e:00:01");

            Assert.StartsWith($"{subnet}.", lease.IpAddress);
            Assert.Equal(IpAddressType.IPv4, lease.Type);
            Assert.Equal(TestNetworks.SystemdClientId(machineId), lease.ClientId);
        }
        finally
        {
            TestNetworks.StopQuietly(network);
        }
    }

    [QemuFact]
    public void ListHostInterfaces_Qemu_ListsTheHostsInterfaces()
    {
        using var connection = QemuHost.Open();

        var interfaces = connection.ListHostInterfaces();

        Assert.Contains(interfaces, i => i.Name == "lo");
    }
}

/// <summary>Names and subnets no other run uses: vwtest-… networks, vwt… bridges (at most 15 characters).</summary>
internal static class TestNetworks
{
    public static (string Name, string Bridge, string Subnet) Unique()
    {
        var id = Guid.NewGuid().ToString("N");
        var bytes = Convert.FromHexString(id[..4]);
        return ($"vwtest-{id[..10]}", $"vwt{id[..10]}", $"10.{200 + bytes[0] % 50}.{bytes[1]}");
    }

    /// <summary>
    /// The client identifier systemd-networkd sends with DUIDType=uuid (what the tiny guest imitates): ff, the IAID
    /// (SHA-256 of "eth0" in the tiny guest), then DUID-UUID 00:04 and the machine-id's app-specific id. An oracle written
    /// from systemd's definition, independent of the guest's shell script.
    /// </summary>
    public static string SystemdClientId(string machineId)
    {
        var app = Convert.FromHexString("a50ad112bf604577a2fb741ab1955b03");
        var id = System.Security.Cryptography.HMACSHA256.HashData(Convert.FromHexString(machineId), app)[..16];
        id[6] = (byte)((id[6] & 0x0f) | 0x40);
        id[8] = (byte)((id[8] & 0x3f) | 0x80);
        var iaid = System.Security.Cryptography.SHA256.HashData("eth0"u8)[..4];
        byte[] all = [0xff, .. iaid, 0x00, 0x04, .. id];
        return string.Join(':', all.Select(b => b.ToString("x2")));
    }

    public static async Task<DhcpLease> WaitForLeaseAsync(LibvirtNetwork network, string mac, Func<DhcpLease, bool>? match = null)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (network.GetDhcpLeases(mac).FirstOrDefault(l => match?.Invoke(l) ?? true) is { } lease)
            {
                return lease;
            }

            await Task.Delay(200, deadline.Token);
        }
    }

    public static void StopQuietly(LibvirtNetwork network)
    {
        try
        {
            if (network.IsActive)
            {
                network.Stop();
            }

            if (network.IsPersistent)
            {
                network.Undefine();
            }
        }
        catch (LibvirtException)
        {
            // Already gone.
        }
    }
}

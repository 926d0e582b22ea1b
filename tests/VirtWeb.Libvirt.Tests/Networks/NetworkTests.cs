using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt.Tests.Networks;

/// <summary>The network binding against private test-driver worlds (each open is a fresh copy).</summary>
public sealed class NetworkTests
{
    private const string World = "test-world-networks.xml";

    [Fact]
    public void ListNetworks_World_FindsDefaultNatNetworkWithItsRange()
    {
        using var connection = Fixtures.OpenWorld(World);

        using var network = Assert.Single(connection.ListNetworks(), n => n.Name == "default");

        Assert.True(network.IsActive);
        Assert.True(network.IsPersistent);
        Assert.Equal("virbr0", network.BridgeName);
        var definition = network.GetDefinition();
        Assert.Equal(NetworkMode.Nat, definition.Mode);
        var address = Assert.Single(definition.Addresses);
        Assert.Equal(("192.168.122.1", 24), (address.Address, address.Prefix));
        Assert.Equal(new DhcpRange("192.168.122.2", "192.168.122.254"), address.Range);
        Assert.Equal("192.168.122.0/24", address.Subnet.ToString());
    }

    [Fact]
    public async Task DefineStartStopUndefine_IsolatedNetwork_RaisesLifecycleEventsInOrder()
    {
        using var connection = Fixtures.OpenWorld(World);
        var events = new EventWaiter();
        using var subscription = connection.SubscribeNetworkEvents(NetworkEventKind.Lifecycle, events.Writer);
        var xml = new NetworkDefinition("vwtest-iso", null, NetworkMode.Isolated, null, null, "vwtiso0",
            [new NetworkAddress("10.77.0.1", 24, new DhcpRange("10.77.0.10", "10.77.0.20"), [])], []).Build();

        using var network = connection.DefineNetwork(xml);
        Assert.False(network.IsActive);
        network.Start();
        network.Autostart = true;
        Assert.True(network.Autostart);
        network.Stop();
        network.Undefine();

        // WaitForAsync consumes in order: each expected type must come after the one before.
        foreach (var expected in new[] { NetworkLifecycleEventType.Defined, NetworkLifecycleEventType.Started, NetworkLifecycleEventType.Stopped, NetworkLifecycleEventType.Undefined })
        {
            var seen = await events.WaitForAsync<NetworkLifecycleEvent>(e => e.Type == expected);
            Assert.Equal("vwtest-iso", seen.NetworkName);
        }

        Assert.Equal(LibvirtErrorCode.NoNetwork, Assert.Throws<LibvirtException>(() => connection.GetNetworkByName("vwtest-iso")).Code);
    }

    [Fact]
    public void Update_DhcpHostAndRange_ChangesRunningNetworkAndDefinition()
    {
        using var connection = Fixtures.OpenWorld(World);
        using var network = connection.GetNetworkByName("default");
        var host = new DhcpHost("52:54:00:aa:00:01", "192.168.122.50", "web");

        network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpHost, host.ToXml(), NetworkUpdateFlags.Live | NetworkUpdateFlags.Config);
        network.Update(NetworkUpdateCommand.Delete, NetworkUpdateSection.IpDhcpRange, new DhcpRange("192.168.122.2", "192.168.122.254").ToXml(), NetworkUpdateFlags.Live | NetworkUpdateFlags.Config);
        network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpRange, new DhcpRange("192.168.122.100", "192.168.122.150").ToXml(), NetworkUpdateFlags.Live | NetworkUpdateFlags.Config);

        // The test driver has no inactive XML (flag 1 is unsupported there); the QEMU test reads the running one too.
        var address = Assert.Single(network.GetDefinition().Addresses);
        Assert.Equal(host, Assert.Single(address.Hosts));
        Assert.Equal(new DhcpRange("192.168.122.100", "192.168.122.150"), address.Range);
    }

    [Fact]
    public void ListHostInterfaces_TestDriver_ReportsItsEthernetWithAddress()
    {
        using var connection = Fixtures.OpenWorld(World);

        var eth = Assert.Single(connection.ListHostInterfaces(), i => i.Name == "eth1");

        Assert.False(eth.IsBridge);
        Assert.True(Assert.Single(connection.ListHostInterfaces(), i => i.Name == "br0").IsBridge);
        Assert.Equal(("192.168.0.5", 24), (eth.Addresses[0].Address, eth.Addresses[0].Prefix));
    }

    [Theory]
    [InlineData("<network><name>r</name><forward mode='route' dev='eth0'/><bridge name='virbr9'/><ip address='10.0.0.1' netmask='255.255.0.0'/></network>", NetworkMode.Routed, 16)]
    [InlineData("<network><name>o</name><forward mode='open'/><ip address='fd00::1' prefix='64'/></network>", NetworkMode.Open, 64)]
    [InlineData("<network><name>b</name><forward mode='bridge'/><bridge name='br0'/></network>", NetworkMode.Bridge, null)]
    [InlineData("<network><name>m</name><forward mode='bridge'><interface dev='eth0'/></forward></network>", NetworkMode.Direct, null)]
    [InlineData("<network><name>p</name><forward mode='passthrough' dev='eth1'/></network>", NetworkMode.Direct, null)]
    [InlineData("<network><name>h</name><forward mode='hostdev'/></network>", NetworkMode.Other, null)]
    public void Parse_EachForwardMode_ReadsModeAndPrefix(string xml, NetworkMode mode, int? prefix)
    {
        var definition = NetworkDefinition.Parse(xml);

        Assert.Equal(mode, definition.Mode);
        Assert.Equal(prefix, definition.Addresses.FirstOrDefault()?.Prefix);
    }

    [Fact]
    public void Parse_MalformedXml_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => NetworkDefinition.Parse("<network><name>x</name>"));
        Assert.Throws<FormatException>(() => NetworkDefinition.Parse("<domain/>"));
    }
}

using VirtWeb.Libvirt.Xml;
using VirtWeb.Networks;

namespace VirtWeb.IntegrationTests.Networks;

/// <summary>NetworkService on private test-driver worlds of <see cref="NetworkWorld"/>: what it makes, refuses and audits.</summary>
[Collection(AppCollection.Name)]
public sealed class NetworkServiceTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    private static readonly ClaimsPrincipal Admin = TestPrincipals.Administrator;

    private NetworkService Networks => Service<NetworkService>();

    [Fact]
    public async Task Create_IsolatedNetworkWithDhcp_RunsAutostartsAndShowsLive()
    {
        var hostId = await AddHostAsync();

        var done = await Networks.CreateAsync(Admin, hostId, new NetworkInput("vwtest-lab", NetworkMode.Isolated, "10.50.0.0/24", "10.50.0.10", "10.50.0.20", "vwtlab0"));

        var network = await Eventually.ValueAsync(() => NetworkOf(hostId, "vwtest-lab"), n => n.Active, Deadline, "the new network is live");
        Assert.True(network.Autostart);
        Assert.Equal((NetworkMode.Isolated, "vwtlab0"), (network.Mode, network.Bridge));
        var address = Assert.Single(network.Addresses);
        Assert.Equal(("10.50.0.1", 24, new DhcpRange("10.50.0.10", "10.50.0.20")), (address.Address, address.Prefix, address.Range));
        Assert.Contains("isolated network vwtest-lab (10.50.0.1/24, DHCP 10.50.0.10–10.50.0.20)", done);
        Assert.Single(await AuditRowsAsync(r => r.Action == "network.create" && r.Target == AccessPaths.Network(hostId, "vwtest-lab") && r.Outcome == AuditOutcome.Success));
    }

    [Fact]
    public async Task Create_BridgeToExistingHostBridge_DefinedWithoutAddresses()
    {
        var hostId = await AddHostAsync();

        await Networks.CreateAsync(Admin, hostId, new NetworkInput("vwtest-lan", NetworkMode.Bridge, Bridge: "br0"));

        var network = await Eventually.ValueAsync(() => NetworkOf(hostId, "vwtest-lan"), n => n.Active, Deadline, "the bridge network is live");
        Assert.Equal((NetworkMode.Bridge, "br0"), (network.Mode, network.Bridge));
        Assert.Empty(network.Addresses);
    }

    public static TheoryData<string, NetworkInput, string> BadInputs() => new()
    {
        { "slash", new NetworkInput("a/b", NetworkMode.Nat, "10.60.0.1/24"), "contains '/'" },
        { "dots", new NetworkInput("..", NetworkMode.Nat, "10.60.0.1/24"), "contains '..'" },
        { "nul", new NetworkInput("a\0b", NetworkMode.Nat, "10.60.0.1/24"), "NUL" },
        { "long", new NetworkInput(new string('n', 300), NetworkMode.Nat, "10.60.0.1/24"), "300 characters long" },
        { "long bridge", new NetworkInput("vwtest-b", NetworkMode.Nat, "10.60.0.1/24", Bridge: "vwtbridge012345x"), "at most 15" },
        { "malformed cidr", new NetworkInput("vwtest-c", NetworkMode.Nat, "10.60.0/24"), "is not an IPv4 network" },
        { "prefix", new NetworkInput("vwtest-c", NetworkMode.Nat, "10.60.0.1/33"), "choose a prefix from /8 to /30" },
        { "range outside", new NetworkInput("vwtest-r", NetworkMode.Nat, "10.60.0.1/24", "10.60.0.10", "10.61.0.20"), "outside the network 10.60.0.0/24" },
        { "range reversed", new NetworkInput("vwtest-r", NetworkMode.Nat, "10.60.0.1/24", "10.60.0.50", "10.60.0.20"), "swap them" },
        { "range on host address", new NetworkInput("vwtest-r", NetworkMode.Nat, "10.60.0.1/24", "10.60.0.1", "10.60.0.20"), "host's own address 10.60.0.1" },
        { "overlaps network", new NetworkInput("vwtest-o", NetworkMode.Nat, "192.168.122.129/25"), "overlaps network default (192.168.122.0/24)" },
        { "overlaps host", new NetworkInput("vwtest-h", NetworkMode.Routed, "192.168.0.0/20"), "overlaps the host's own address 192.168.0.5/24 on eth1" },
        { "no such bridge", new NetworkInput("vwtest-n", NetworkMode.Bridge, Bridge: "br9"), "no bridge named br9. Its bridges: br0" },
        { "not a bridge", new NetworkInput("vwtest-n", NetworkMode.Bridge, Bridge: "eth1"), "eth1 is a ethernet interface, not a bridge" },
        { "name taken", new NetworkInput("default", NetworkMode.Nat, "10.60.0.1/24"), "already has a network named default" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Create_BadInput_RefusedWithReasonAndNothingMade(string why, NetworkInput input, string expected)
    {
        var hostId = await AddHostAsync();
        var before = Snapshot(hostId);

        var refusal = await Assert.ThrowsAsync<NetworkException>(() => Networks.CreateAsync(Admin, hostId, input));

        Assert.True(refusal.Message.Contains(expected, StringComparison.Ordinal), $"{why}: {refusal.Message}");
        Assert.Equal(before, Snapshot(hostId));
        Assert.Single(await AuditRowsAsync(r => r.Action == "network.create" && r.Target.StartsWith(AccessPaths.Host(hostId)) && r.Outcome == AuditOutcome.Failure));
    }

    [Fact]
    public async Task Delete_NetworkInUse_RefusedNamingGuests()
    {
        var hostId = await AddHostAsync();

        var refusal = await Assert.ThrowsAsync<NetworkException>(() => Networks.DeleteAsync(Admin, hostId, "default"));
        var stop = await Assert.ThrowsAsync<NetworkException>(() => Networks.StopAsync(Admin, hostId, "default"));

        Assert.Contains("web (running) and db have cards on it", refusal.Message);
        Assert.Contains("running guest web uses it", stop.Message);
        Assert.True(NetworkOf(hostId, "default")!.Active);
    }

    [Fact]
    public async Task StopStartAutostartDelete_UnusedNetwork_EachShowsLive()
    {
        var hostId = await AddHostAsync();
        await Networks.CreateAsync(Admin, hostId, new NetworkInput("vwtest-tmp", NetworkMode.Nat, "10.70.0.1/24", Autostart: false));

        await Networks.StopAsync(Admin, hostId, "vwtest-tmp");
        await Eventually.ValueAsync(() => NetworkOf(hostId, "vwtest-tmp"), n => !n.Active, Deadline, "stopped");
        await Networks.SetAutostartAsync(Admin, hostId, "vwtest-tmp", true);
        await Networks.StartAsync(Admin, hostId, "vwtest-tmp");
        await Eventually.ValueAsync(() => NetworkOf(hostId, "vwtest-tmp"), n => n is { Active: true, Autostart: true }, Deadline, "started, autostart");
        await Networks.DeleteAsync(Admin, hostId, "vwtest-tmp");

        await Eventually.ValueAsync(() => NetworkOf(hostId, "vwtest-tmp") is null ? "gone" : null, _ => true, Deadline, "deleted");
        Assert.Equal(LibvirtErrorCode.NoNetwork, Assert.Throws<LibvirtException>(() => Connection(hostId).GetNetworkByName("vwtest-tmp")).Code);
    }

    [Fact]
    public async Task DhcpRangeAndHosts_Edited_ShowLiveAndDuplicatesRefused()
    {
        var hostId = await AddHostAsync();

        await Networks.SetDhcpRangeAsync(Admin, hostId, "default", "192.168.122.100", "192.168.122.199");
        await Networks.AddDhcpHostAsync(Admin, hostId, "default", NetworkWorld.WebMac.ToUpperInvariant(), "192.168.122.10", "web");
        var duplicate = await Assert.ThrowsAsync<NetworkException>(() => Networks.AddDhcpHostAsync(Admin, hostId, "default", NetworkWorld.WebMac, "192.168.122.11", null));
        var outside = await Assert.ThrowsAsync<NetworkException>(() => Networks.SetDhcpRangeAsync(Admin, hostId, "default", "192.168.122.100", "192.168.123.1"));
        var badMac = await Assert.ThrowsAsync<NetworkException>(() => Networks.AddDhcpHostAsync(Admin, hostId, "default", "52:54:00:zz:00:01", "192.168.122.12", null));

        var address = (await Eventually.ValueAsync(() => NetworkOf(hostId, "default"), n => n.Addresses[0].Hosts.Count == 1, Deadline, "the host entry")).Addresses[0];
        Assert.Equal(new DhcpRange("192.168.122.100", "192.168.122.199"), address.Range);
        Assert.Equal(new DhcpHost(NetworkWorld.WebMac, "192.168.122.10", "web"), address.Hosts[0]);
        Assert.Contains("already has a static entry", duplicate.Message);
        Assert.Contains("outside the network", outside.Message);
        Assert.Contains("is not a MAC address", badMac.Message);

        await Networks.RemoveDhcpHostAsync(Admin, hostId, "default", NetworkWorld.WebMac);
        await Eventually.ValueAsync(() => NetworkOf(hostId, "default"), n => n.Addresses[0].Hosts.Count == 0, Deadline, "the entry removed");
    }

    [Fact]
    public async Task Operator_ManagesNetworks_RefusedUnlessGrantedAdministratorOnTheNetwork()
    {
        var hostId = await AddHostAsync();
        var name = VirtWebFactory.UniqueUserName("netop");
        var account = await Factory.CreateUserAsync(name, Roles.Operator);
        var user = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, account.Id), new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, Roles.Operator)], "test"));

        var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => Networks.SetAutostartAsync(user, hostId, "default", true));
        await WithScopeAsync(async s =>
        {
            await s.GetRequiredService<GrantDirectory>().SetAsync(Admin, name, AccessPaths.Network(hostId, "default"), AccessRole.Administrator);
            return 0;
        });
        await Networks.SetAutostartAsync(user, hostId, "default", true);
        var create = await Assert.ThrowsAsync<AccessDeniedException>(() => Networks.CreateAsync(user, hostId, new NetworkInput("vwtest-x", NetworkMode.Nat, "10.80.0.1/24")));

        Assert.Contains("Only an Administrator may change networks", refused.Message);
        Assert.Contains("create networks", create.Message);
        await Eventually.ValueAsync(() => NetworkOf(hostId, "default"), n => n.Autostart, Deadline, "autostart set by the granted Operator");
    }

    [Fact]
    public async Task NetworkDefinedBehindVirtWebsBack_AppearsAndGoesLive()
    {
        var hostId = await AddHostAsync();
        using var network = Connection(hostId).DefineNetwork(
            new NetworkDefinition("vwtest-side", null, NetworkMode.Isolated, null, null, null, [new NetworkAddress("10.90.0.1", 24, null, [])], []).Build());

        await Eventually.ValueAsync(() => NetworkOf(hostId, "vwtest-side"), n => !n.Active, Deadline, "the defined network appears");
        network.Start();
        await Eventually.ValueAsync(() => NetworkOf(hostId, "vwtest-side"), n => n.Active, Deadline, "it shows as started");
        network.Stop();
        network.Undefine();
        await Eventually.ValueAsync(() => NetworkOf(hostId, "vwtest-side") is null ? "gone" : null, _ => true, Deadline, "it goes");
    }

    [Fact]
    public async Task GuestCards_OfTheWorld_ListedLiveWithNetworkAndRunningState()
    {
        var hostId = await AddHostAsync();

        var nics = await Eventually.ValueAsync(() => Store.Nics.Current(n => n.HostId == hostId), n => n.Count == 2, Deadline, "both guests' cards");

        Assert.Equal(
            [("db", NetworkWorld.DbMac, false), ("web", NetworkWorld.WebMac, true)],
            nics.OrderBy(n => n.GuestName).Select(n => (n.GuestName, n.Mac, n.GuestRunning)));
        Assert.All(nics, n => Assert.Equal(("default", "virtio", true), (n.Network, n.Model, n.LinkUp)));
    }

    private Task<Guid> AddHostAsync() => GuestWorld.AddPrivateHostAsync(Factory, NetworkWorld.Write());

    private NetworkState? NetworkOf(Guid hostId, string name) => Store.Networks.Current(n => n.HostId == hostId && n.Name == name).SingleOrDefault();

    private string Snapshot(Guid hostId) => string.Join("\n", Connection(hostId).ListNetworks().Select(n =>
    {
        using (n)
        {
            return $"{n.Name} {n.IsActive} {n.GetXml()}";
        }
    }).Order(StringComparer.Ordinal));
}

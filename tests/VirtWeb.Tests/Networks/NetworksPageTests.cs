using VirtWeb.Networks;

namespace VirtWeb.Tests.Networks;

public sealed class NetworksPageTests : ComponentTest
{
    private static readonly Guid HostId = Guid.NewGuid();
    private static readonly Guid Web = Guid.NewGuid();

    [Fact]
    public void NetworksPage_Viewer_SeesModeInPlainWordsGuestsAndLeasesJoinedByMacButNoActions()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Upsert(Store.Networks, Network("default", NetworkMode.Nat));
        Upsert(Store.Nics, Nic("web", Web, "52:54:00:aa:00:01"));
        Upsert(Store.Leases,
            Lease("default", "52:54:00:aa:00:01", "192.168.122.50", "ff:00:00:00:01:00:04:aa"),
            Lease("default", "52:54:00:ff:ff:ff", "192.168.122.60", null));

        var page = Context.Render<NetworksPage>();

        page.WaitForAssertion(() =>
        {
            Assert.Equal(["default"], Texts(page, "network-name"));
            Assert.Equal(["NAT"], Texts(page, "network-mode"));
            Assert.Contains("through the host's address, the outside world; from outside nobody reaches the guests", page.Find("[data-testid=network-mode-explained]").TextContent);
            Assert.Equal(["virbr0"], Texts(page, "network-bridge"));
            Assert.Contains("192.168.122.0/24", page.Find("[data-testid=network-address]").TextContent);
            Assert.Contains("DHCP 192.168.122.2 – 192.168.122.254", page.Find("[data-testid=network-address]").TextContent);
            Assert.Contains("web", page.Find("[data-testid=network-guest]").TextContent);
            Assert.Equal(["192.168.122.50/24", "192.168.122.60/24"], Texts(page, "lease-ip"));
            Assert.Equal(["web", "not a guest of this host"], Texts(page, "lease-guest"));
            Assert.Equal(["ff:00:00:00:01:00:04:aa", "—"], Texts(page, "lease-client-id"));
            Assert.Empty(page.FindAll("[data-testid=add-network], [data-testid=network-stop], [data-testid=network-delete], [data-testid=network-dhcp-edit], [data-testid=network-autostart-toggle]"));
        });
    }

    [Theory]
    [InlineData(Roles.Operator, false)]
    [InlineData(Roles.Administrator, true)]
    public void NetworksPage_Actions_OfferedToAdministratorsOfTheHostOnly(string role, bool offered)
    {
        Context.SignInAs("olga", role);
        Upsert(Store.Hosts, Host());
        Upsert(Store.Networks, Network("default", NetworkMode.Nat));

        var page = Context.Render<NetworksPage>();

        page.WaitForAssertion(() =>
        {
            Assert.Equal(["default"], Texts(page, "network-name"));
            Assert.Equal(offered ? 1 : 0, page.FindAll("[data-testid=add-network]").Count);
            Assert.Equal(offered ? 1 : 0, page.FindAll("[data-testid=network-stop]").Count);
            Assert.Equal(offered ? 1 : 0, page.FindAll("[data-testid=network-delete]").Count);
        });
    }

    [Fact]
    public void NetworksPage_LiveChanges_ShowWithoutReload()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var page = Context.Render<NetworksPage>();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=no-networks]")));

        var lab = Network("lab", NetworkMode.Isolated) with { Active = false, Bridge = "virbr9" };
        Upsert(Store.Networks, lab);
        page.WaitForAssertion(() => Assert.Equal(["inactive"], Texts(page, "network-state")));
        Assert.Contains("nothing beyond the host reaches them", page.Find("[data-testid=network-mode-explained]").TextContent);

        Upsert(Store.Networks, lab with { Active = true });
        page.WaitForAssertion(() => Assert.Equal(["active"], Texts(page, "network-state")));

        Upsert(Store.Nics, Nic("web", Web, "52:54:00:aa:00:01") with { Network = "lab" });
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=network-guest]")));

        Store.Networks.Remove(lab.Key, Store.NextVersion());
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=no-networks]")));
    }

    private static List<string> Texts(IRenderedComponent<NetworksPage> page, string testId) =>
        page.FindAll($"[data-testid={testId}]").Select(e => e.TextContent.Trim()).ToList();

    private static HostState Host() => new(HostId, "lab-host", "test:///default", HostConnectionState.Connected, DateTimeOffset.UnixEpoch);

    private static NetworkState Network(string name, NetworkMode mode) => new(
        HostId, "lab-host", Guid.Parse("dd8fe884-6c02-601e-7551-cca97df1c5df"), name, mode, "nat", null, "virbr0", true, false, true,
        [new NetworkAddress("192.168.122.1", 24, new DhcpRange("192.168.122.2", "192.168.122.254"), [])]);

    private static GuestNicState Nic(string guest, Guid uuid, string mac) =>
        new(HostId, uuid, guest, true, mac, "network", "default", null, "virtio", true, "vnet0");

    private static LeaseState Lease(string network, string mac, string ip, string? clientId) =>
        new(HostId, network, mac, ip, 24, IpAddressType.IPv4, null, clientId, DateTimeOffset.UnixEpoch.AddYears(60));
}

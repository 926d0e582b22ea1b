using VirtWeb.Networks;

namespace VirtWeb.Tests.Networks;

public sealed class GuestNicsTests : ComponentTest
{
    private static readonly Guid HostId = Guid.NewGuid();
    private static readonly GuestState Web = new(
        HostId, "alpha", Guid.NewGuid(), "web", DomainState.Running, "booted", 1, 262144, 262144,
        VirtualizationMode.Hybrid, GuestKind.VirtualMachine, false, true, false, false, null, false, []);

    [Fact]
    public void GuestNics_Viewer_SeesCardsWithNetworkLinkAndLeaseButNoActions()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Upsert(Store.Nics, Nic("52:54:00:aa:00:01", "default", linkUp: true), Nic("52:54:00:aa:00:02", "lab", linkUp: false));
        Upsert(Store.Leases, new LeaseState(HostId, "default", "52:54:00:aa:00:01", "192.168.122.50", 24, IpAddressType.IPv4, "web", null, DateTimeOffset.UnixEpoch));

        var nics = Context.Render<GuestNics>(p => p.Add(c => c.Guest, Web));

        nics.WaitForAssertion(() =>
        {
            Assert.Equal(["52:54:00:aa:00:01", "52:54:00:aa:00:02"], Texts(nics, "nic-mac"));
            Assert.Equal(["default", "lab"], Texts(nics, "nic-network"));
            Assert.Equal(["up", "down"], Texts(nics, "nic-link"));
            Assert.Equal(["192.168.122.50", ""], Texts(nics, "nic-leases"));
            Assert.Empty(nics.FindAll("[data-testid=nic-attach], [data-testid=nic-detach], [data-testid=nic-link-toggle], [data-testid=nic-network-select]"));
        });
    }

    [Fact]
    public void GuestNics_Operator_GetsAttachDetachAndLinkAndSeesChangesLive()
    {
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Networks, new NetworkState(HostId, "alpha", Guid.NewGuid(), "default", NetworkMode.Nat, "nat", null, "virbr0", true, true, true, []));
        var nics = Context.Render<GuestNics>(p => p.Add(c => c.Guest, Web));
        nics.WaitForAssertion(() => Assert.Single(nics.FindAll("[data-testid=no-nics]")));

        Upsert(Store.Nics, Nic("52:54:00:aa:00:09", "default", linkUp: true));

        nics.WaitForAssertion(() =>
        {
            Assert.Equal(["52:54:00:aa:00:09"], Texts(nics, "nic-mac"));
            Assert.Single(nics.FindAll("[data-testid=nic-detach]"));
            Assert.Equal(["Link down"], Texts(nics, "nic-link-toggle"));
            Assert.Single(nics.FindAll("[data-testid=nic-attach]"));
        });
    }

    private static GuestNicState Nic(string mac, string network, bool linkUp) =>
        new(HostId, Web.Uuid, "web", true, mac, "network", network, null, "virtio", linkUp, "vnet0");

    private static List<string> Texts(IRenderedComponent<GuestNics> nics, string testId) =>
        nics.FindAll($"[data-testid={testId}]").Select(e => e.TextContent.Trim()).ToList();
}

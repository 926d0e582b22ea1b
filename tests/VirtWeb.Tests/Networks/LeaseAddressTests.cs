using VirtWeb.Networks;

namespace VirtWeb.Tests.Networks;

/// <summary>The guest list's addresses come from DHCP leases when the guest's agent has none to give.</summary>
public sealed class LeaseAddressTests
{
    private static readonly Guid HostId = Guid.NewGuid();

    [Theory]
    [InlineData(false, new string[0], new[] { "192.168.122.50" })]
    [InlineData(true, new string[0], new[] { "192.168.122.50" })]
    [InlineData(true, new[] { "10.0.0.9" }, new[] { "10.0.0.9" })]
    public void FillAddresses_RunningGuest_LeasesOnlyWhereTheAgentReportsNone(bool hasAgent, string[] agentAddresses, string[] shown)
    {
        var store = new LiveStateStore(TimeProvider.System);
        var guest = Guest(DomainState.Running, hasAgent, agentAddresses);
        store.Guests.Upsert(guest, store.NextVersion());
        store.Nics.Upsert(new GuestNicState(HostId, guest.Uuid, "web", true, "52:54:00:aa:00:01", "network", "default", null, "virtio", true, null), store.NextVersion());

        LeasePoller.FillAddresses(store, HostId, [Lease("52:54:00:aa:00:01", "192.168.122.50"), Lease("52:54:00:ff:00:01", "192.168.122.60")]);

        Assert.Equal(shown, store.Guests.Find(guest.Key)!.Addresses);
    }

    [Fact]
    public void FillAddresses_ShutOffGuest_KeepsNoStaleLease()
    {
        var store = new LiveStateStore(TimeProvider.System);
        var guest = Guest(DomainState.Shutoff, false, []);
        store.Guests.Upsert(guest, store.NextVersion());
        store.Nics.Upsert(new GuestNicState(HostId, guest.Uuid, "web", false, "52:54:00:aa:00:01", "network", "default", null, "virtio", true, null), store.NextVersion());

        LeasePoller.FillAddresses(store, HostId, [Lease("52:54:00:aa:00:01", "192.168.122.50")]);

        Assert.Empty(store.Guests.Find(guest.Key)!.Addresses);
    }

    private static GuestState Guest(DomainState state, bool hasAgent, string[] addresses) => new(
        HostId, "alpha", Guid.NewGuid(), "web", state, "", 1, 262144, 262144, VirtualizationMode.Hybrid, GuestKind.VirtualMachine,
        false, true, false, hasAgent, null, false, addresses);

    private static LeaseState Lease(string mac, string ip) =>
        new(HostId, "default", mac, ip, 24, IpAddressType.IPv4, null, null, DateTimeOffset.UnixEpoch.AddYears(60));
}

using VirtWeb.MachineIds;

namespace VirtWeb.Tests.MachineIds;

public sealed class MachineIdsPageTests : ComponentTest
{
    private static readonly Guid HostId = Guid.NewGuid();
    private static readonly string HostUuid = Guid.NewGuid().ToString();
    private static readonly DateTimeOffset Seen = DateTimeOffset.UtcNow;

    private MachineIdRegistry Registry => Context.Services.GetRequiredService<MachineIdRegistry>();

    [Fact]
    public void MachineIdsPage_TwoGuestsShareAnId_OneGroupOfTwoGoneLiveWhenOneGetsANewId()
    {
        Context.SignInAs("olga", Roles.Operator);
        var shared = MachineId.New().Value;
        var a = AddGuest("alpha", DomainState.Running, hasAgent: true);
        var b = AddGuest("bravo", DomainState.Running, hasAgent: true);
        Observe(a, MachineIdSource.GuestAgent, shared);
        Observe(b, MachineIdSource.GuestAgent, shared);

        var page = Context.Render<MachineIdsPage>();

        page.WaitForAssertion(() =>
        {
            var group = Assert.Single(page.FindAll("[data-testid=machineid-duplicate-group]"));
            Assert.Equal(shared, group.GetAttribute("data-machineid"));
            Assert.Equal(2, group.QuerySelectorAll("[data-testid=machineid-duplicate-holder]").Length);
            Assert.Contains("DHCP lease", page.Find("[data-testid=machineid-duplicates-alert]").TextContent, StringComparison.Ordinal);
            Assert.Equal(2, page.FindAll("[data-testid=machineid-duplicate-chip]").Count);
            Assert.Equal(4, page.FindAll("[data-testid=machineid-regenerate]").Count);
        });

        // A fix arrives as a new observation: the page follows without a reload.
        Observe(b, MachineIdSource.GuestAgent, MachineId.New().Value);

        page.WaitForAssertion(() =>
        {
            Assert.Empty(page.FindAll("[data-testid=machineid-duplicate-group]"));
            Assert.Single(page.FindAll("[data-testid=machineid-no-duplicates]"));
        });
    }

    [Fact]
    public void MachineIdsPage_GroupsGuestsSendOneDhcpClientId_SharedClientIdShownInTheGroupUntilOneRenews()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var shared = MachineId.New().Value;
        var a = AddGuest("alpha", DomainState.Running, hasAgent: true);
        var b = AddGuest("bravo", DomainState.Running, hasAgent: true);
        Observe(a, MachineIdSource.GuestAgent, shared);
        Observe(b, MachineIdSource.GuestAgent, shared);
        var sightings = Context.Services.GetRequiredService<VirtWeb.Networks.LeasePoller>().ClientIds;
        const string clientId = "ff:9c:32:a8:c7:00:04:8b:af:2d:96:b4:a2:48:6c:9e:15:ce:ee:09:6b:5c:cd";
        foreach (var (guest, mac) in new[] { (a, "52:54:00:00:00:0a"), (b, "52:54:00:00:00:0b") })
        {
            Upsert(Store.Nics, new VirtWeb.Networks.GuestNicState(HostId, guest.Uuid, guest.Name, true, mac, "network", "default", null, "virtio", true, null));
            sightings.Upsert(new VirtWeb.Networks.ClientIdSighting(HostId, mac, clientId, "default", "192.168.122.50"), Store.NextVersion());
        }

        Upsert(Store.Leases, new VirtWeb.Networks.LeaseState(HostId, "default", "52:54:00:00:00:0b", "192.168.122.50", 24, IpAddressType.IPv4, null, clientId, Seen));

        var page = Context.Render<MachineIdsPage>();

        page.WaitForAssertion(() =>
        {
            var group = Assert.Single(page.FindAll("[data-testid=machineid-duplicate-group]"));
            var alert = group.QuerySelector("[data-testid=shared-client-id]");
            Assert.NotNull(alert);
            Assert.Equal(clientId, alert.QuerySelector("[data-testid=shared-client-id-value]")!.TextContent);
            Assert.Contains("from alpha (52:54:00:00:00:0a) and bravo (52:54:00:00:00:0b)", alert.TextContent, StringComparison.Ordinal);
            Assert.Contains("The lease (192.168.122.50) is now held by 52:54:00:00:00:0b", alert.TextContent, StringComparison.Ordinal);
            Assert.Contains("dnsmasq keys leases by client ID", alert.TextContent, StringComparison.Ordinal);
        });

        // bravo's DHCP client renewed with a client ID from a new machine ID.
        sightings.Upsert(new VirtWeb.Networks.ClientIdSighting(HostId, "52:54:00:00:00:0b", "ff:9c:32:a8:c7:00:04:11", "default", "192.168.122.51"), Store.NextVersion());

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=shared-client-id]")));
    }

    [Fact]
    public void MachineIdsPage_Viewer_SeesIdsAndSourcesButNoActions()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var shared = MachineId.New().Value;
        var a = AddGuest("alpha", DomainState.Running, hasAgent: true);
        var b = AddGuest("bravo", DomainState.Shutoff, hasAgent: false);
        Observe(a, MachineIdSource.GuestAgent, shared);
        Observe(b, MachineIdSource.GuestAgent, shared);

        var page = Context.Render<MachineIdsPage>();

        page.WaitForAssertion(() =>
        {
            Assert.Single(page.FindAll("[data-testid=machineid-duplicate-group]"));
            Assert.Contains("agent: /etc/machine-id", page.Find("[data-testid=machineid-table]").TextContent, StringComparison.Ordinal);
            Assert.Contains(b.Uuid.ToString(), page.Find("[data-testid=machineid-table]").TextContent, StringComparison.Ordinal);
            Assert.Empty(page.FindAll("[data-testid=machineid-regenerate]"));
            Assert.Empty(page.FindAll("[data-testid=machineid-assign]"));
        });
    }

    [Fact]
    public void MachineIdsPage_DeletedGuest_NotCountedAsADuplicate()
    {
        Context.SignInAs("olga", Roles.Operator);
        var shared = MachineId.New().Value;
        var a = AddGuest("alpha", DomainState.Shutoff, hasAgent: false);
        Observe(a, MachineIdSource.GuestAgent, shared);

        // A guest the connected host no longer has was deleted; its old id stays in the history but duplicates nothing.
        var gone = new GuestState(HostId, "h", Guid.NewGuid(), "ghost", DomainState.Running, "", 1, 1, 1, VirtualizationMode.Hybrid, GuestKind.VirtualMachine,
            false, true, false, true, null, false, []);
        Observe(gone, MachineIdSource.GuestAgent, shared);

        var page = Context.Render<MachineIdsPage>();

        page.WaitForAssertion(() =>
        {
            Assert.Single(page.FindAll("[data-testid=machineid-no-duplicates]"));
            Assert.Single(page.FindAll("[data-testid=machineid-assign]"));
            Assert.Contains("deleted", page.Find("[data-testid=machineid-table]").TextContent, StringComparison.Ordinal);
        });
    }

    private GuestState AddGuest(string name, DomainState state, bool hasAgent)
    {
        if (Store.Hosts.Find(HostId.ToString()) is null)
        {
            Upsert(Store.Hosts, new HostState(HostId, "h", "qemu:///system", HostConnectionState.Connected, Seen, Facts: Facts()));
        }

        var guest = new GuestState(HostId, "h", Guid.NewGuid(), name, state, "", 1, 262144, 262144, VirtualizationMode.Hybrid, GuestKind.VirtualMachine,
            false, true, false, hasAgent, null, false, []);
        Upsert(Store.Guests, guest);
        return guest;
    }

    private void Observe(GuestState guest, MachineIdSource source, string id) =>
        Registry.Entries.Upsert(
            new MachineIdEntry(MachineIdSubjects.Guest(MachineIdSubjects.HostIdentity(HostId, Facts()), guest.Uuid), MachineIdSubjectKind.Guest, guest.HostId, guest.Uuid, guest.Name, source, id, Seen, Seen),
            Store.NextVersion());

    private static HostFacts Facts() =>
        new("QEMU", HypervisorKind.Type2, "vm", new Version(9, 0), null, HostUuid, "x86_64", null, null, 2, 2000, 1, 2, 1, 4 << 20, [], null, false);
}

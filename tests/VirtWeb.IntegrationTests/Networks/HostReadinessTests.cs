using VirtWeb.Networks;

namespace VirtWeb.IntegrationTests.Networks;

/// <summary>"Ready this host" on private test-driver worlds (never the machine's libvirtd, whose default network other runs use).</summary>
[Collection(AppCollection.Name)]
public sealed class HostReadinessTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    private HostReadiness Readiness => Service<HostReadiness>();

    [Fact]
    public async Task Ready_HostWithNoPoolAndNoNetwork_LeavesActiveAutostartedDefaultsAndAGuestWithTheDefaultsStarts()
    {
        var hostId = await GuestWorld.AddPrivateHostAsync(Factory, TestWorlds.Write("bare", """
            <?xml version="1.0"?>
            <node><cpu><mhz>2400</mhz><model>i686</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active></cpu>
            <memory>4194304</memory></node>
            """));
        var plan = await Eventually.ValueAsync(() => Readiness.Assess(hostId), p => p.Steps.Count == 2, Deadline, "both steps are offered");
        Assert.Contains("Create the directory pool default at /var/lib/libvirt/images", plan.Steps[0]);
        Assert.Contains("Create the NAT network default (192.168.122.1/24", plan.Steps[1]);

        var done = await Readiness.MakeReadyAsync(TestPrincipals.Administrator, hostId);

        Assert.Contains("created pool default", done);
        var pool = await Eventually.ValueAsync(() => Store.Pools.Current(p => p.HostId == hostId && p.Name == "default").SingleOrDefault(), p => p.IsActive, Deadline, "the pool runs");
        Assert.True(pool.Autostart);
        var network = await Eventually.ValueAsync(() => Store.Networks.Current(n => n.HostId == hostId && n.Name == "default").SingleOrDefault(), n => n.Active, Deadline, "the network runs");
        Assert.True(network.Autostart);
        Assert.False(Readiness.Assess(hostId).Needed);

        // A guest made with the create dialog's defaults: a qcow2 disk in the default pool, a card on the default network.
        var guest = await Service<GuestCreationService>().CreateAsync(TestPrincipals.Administrator, new GuestCreateInput(hostId, "vwtest-fresh", Pool: "default", DiskSizeGiB: 1));
        var started = await Service<GuestService>().RunAsync(TestPrincipals.Administrator, hostId, guest.Uuid, GuestAction.Start);
        Assert.True(started.Done, started.Message);
        var nic = await Eventually.ValueAsync(() => Store.Nics.Current(n => n.HostId == hostId && n.GuestUuid == guest.Uuid).SingleOrDefault(), n => n.GuestRunning, Deadline, "the guest runs with its card");
        Assert.Equal("default", nic.Network);
    }

    [Fact]
    public async Task Ready_DefaultNetworkStopped_StartsItWithAutostartAndNeedsNoPool()
    {
        var hostId = await GuestWorld.AddPrivateHostAsync(Factory, NetworkWorld.Write());
        using (var network = Connection(hostId).GetNetworkByName("default"))
        {
            network.Stop();
        }

        var plan = await Eventually.ValueAsync(() => Readiness.Assess(hostId), p => p.Steps.Any(s => s.StartsWith("Start the network default (NAT, 192.168.122.0/24)")), Deadline, "the start step");

        var done = await Readiness.MakeReadyAsync(TestPrincipals.Administrator, hostId);

        Assert.Contains("started network default", done);
        await Eventually.ValueAsync(() => Store.Networks.Current(n => n.HostId == hostId && n.Name == "default").SingleOrDefault(), n => n is { Active: true, Autostart: true }, Deadline, "started with autostart");
        Assert.Single(await AuditRowsAsync(r => r.Action == "network.start" && r.Target == AccessPaths.Network(hostId, "default") && r.Outcome == AuditOutcome.Success));
    }

    [Fact]
    public async Task Ready_Operator_RefusedAndNothingMade()
    {
        var hostId = await GuestWorld.AddPrivateHostAsync(Factory, NetworkWorld.Write());
        using (var network = Connection(hostId).GetNetworkByName("default"))
        {
            network.Stop();
        }

        var refusal = await Assert.ThrowsAsync<AccessDeniedException>(() => Readiness.MakeReadyAsync(TestPrincipals.Of("olga", Roles.Operator), hostId));

        Assert.Contains("ready hosts", refusal.Message);
        using var after = Connection(hostId).GetNetworkByName("default");
        Assert.False(after.IsActive);
    }
}

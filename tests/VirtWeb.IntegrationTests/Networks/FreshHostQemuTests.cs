using VirtWeb.Networks;
using Xunit.Abstractions;

namespace VirtWeb.IntegrationTests.Networks;

/// <summary>
/// "Ready this host" on the machine's own libvirtd, which a fresh install leaves with no storage pool and its
/// <c>default</c> network defined and stopped. The test records what it found and puts it back exactly afterwards,
/// whatever happened; its guest and volume are named vwnet-….
/// </summary>
[Collection(AppCollection.Name)]
public sealed class FreshHostQemuTests(VirtWebFactory factory, ITestOutputHelper output) : IntegrationTest(factory), IAsyncLifetime
{
    private const string Prefix = "vwnet-fresh";

    private FreshQemuHost? _found;

    // TCG on a loaded 2-core machine: a start may take a while.
    protected override TimeSpan Deadline => TimeSpan.FromSeconds(90);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Task.Run(() => _found?.Restore(Prefix));

    [Fact]
    public async Task Ready_FreshQemuHost_LeavesActiveAutostartedPoolAndNetworkAndAGuestWithTheDialogDefaultsStarts()
    {
        _found = FreshQemuHost.Record();
        output.WriteLine($"found on {FreshQemuHost.Uri}: {_found}");
        Assert.True(_found.IsFresh, $"{FreshQemuHost.Uri} is not a fresh host ({_found}); this test readies only a host with no active pool or network.");
        var hostId = await GuestWorld.AddQemuHostAsync(Factory);
        var readiness = Service<HostReadiness>();

        var plan = await Eventually.ValueAsync(() => readiness.Assess(hostId), p => p.Steps.Count == 2, Deadline, "both steps are offered");
        output.WriteLine($"offered: {string.Join(" | ", plan.Steps)}");
        var done = await readiness.MakeReadyAsync(TestPrincipals.Administrator, hostId);
        output.WriteLine(done);

        var pool = await Eventually.ValueAsync(() => Store.Pools.Current(p => p.HostId == hostId && p.Name == "default").SingleOrDefault(), p => p is { IsActive: true, Autostart: true }, Deadline, "the default pool runs, with autostart");
        Assert.Equal(PoolRootsOptions.DefaultRoot, pool.TargetPath?.TrimEnd('/'));
        await Eventually.ValueAsync(() => Store.Networks.Current(n => n.HostId == hostId && n.Name == "default").SingleOrDefault(), n => n is { Active: true, Autostart: true }, Deadline, "the default network runs, with autostart");
        Assert.False(readiness.Assess(hostId).Needed);
        using (var connection = LibvirtConnection.Open(FreshQemuHost.Uri))
        using (var livePool = connection.GetStoragePoolByName("default"))
        using (var liveNetwork = connection.GetNetworkByName("default"))
        {
            Assert.Equal((true, true), (livePool.IsActive, livePool.Autostart));
            Assert.Equal((true, true), (liveNetwork.IsActive, liveNetwork.Autostart));
        }

        // The create dialog's defaults: 1 vCPU, 512 MiB, a new 10 GiB qcow2 in the default pool, a card on the default network.
        var name = $"{Prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        var guest = await Service<GuestCreationService>().CreateAsync(TestPrincipals.Administrator, new GuestCreateInput(hostId, name, Pool: "default"));
        var started = await Service<GuestService>().RunAsync(TestPrincipals.Administrator, hostId, guest.Uuid, GuestAction.Start);

        Assert.True(started.Done, started.Message);
        await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(hostId, guest.Uuid)), g => g.State == DomainState.Running, Deadline, "the new guest runs");
        var nic = await Eventually.ValueAsync(() => Store.Nics.Current(n => n.HostId == hostId && n.GuestUuid == guest.Uuid).SingleOrDefault(), n => n.GuestRunning, Deadline, "the guest's card is live");
        Assert.Equal("default", nic.Network);
        await Eventually.ValueAsync(() => Store.Volumes.Current(v => v.HostId == hostId && v.PoolName == "default" && v.Name.StartsWith(name, StringComparison.Ordinal)).SingleOrDefault(), _ => true, Deadline, "its disk is in the default pool");
    }
}

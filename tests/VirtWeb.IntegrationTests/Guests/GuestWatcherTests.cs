using Microsoft.Extensions.Logging.Abstractions;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.IntegrationTests.Guests;

[Collection(AppCollection.Name)]
public sealed class GuestWatcherTests(VirtWebFactory factory) : GuestTest(factory)
{
    [Fact]
    public async Task DemoHost_Guest_AppearsRunningWithItsFacts()
    {
        var guest = await Eventually.ValueAsync(
            () => Store.Guests.Current(g => g.HostName.StartsWith("Demo", StringComparison.Ordinal) && g.Name == "test").FirstOrDefault(),
            g => g.State == DomainState.Running,
            Deadline,
            "the demo host's guest 'test' is listed as running");

        Assert.Equal(GuestKind.VirtualMachine, guest.Kind);
        Assert.True(guest.Vcpus >= 1);
        Assert.True(guest.MaxMemoryKiB > 0);
        Assert.True(guest.HostConnected);
        Assert.NotNull(guest.RunningSince);
        Assert.Equal(GuestState.KeyOf(guest.HostId, guest.Uuid), guest.Key);
    }

    [Fact]
    public async Task PrivateHost_StopAndStartThroughLibvirt_ShowInTheStore()
    {
        var hostId = await AddPrivateHostAsync();
        var key = GuestState.KeyOf(hostId, Guid.Parse(GuestWorld.RunningUuid));
        var web = await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.State == DomainState.Running, Deadline, "web is listed running");
        Assert.Equal(VirtualizationMode.Hybrid, web.Mode);
        Assert.Equal(2, web.Vcpus);
        Assert.Equal(256UL * 1024, web.MaxMemoryKiB);
        var db = Store.Guests.Find(GuestState.KeyOf(hostId, Guid.Parse(GuestWorld.ShutOffUuid)));
        Assert.Equal(DomainState.Shutoff, db!.State);

        using (var domain = Connection(hostId).GetDomainByUuid(web.Uuid))
        {
            domain.Destroy();
        }

        var stopped = await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.State == DomainState.Shutoff, Deadline, "web reads shut off");
        Assert.Equal("forced off", stopped.Reason);
        Assert.Null(stopped.RunningSince);

        using (var domain = Connection(hostId).GetDomainByUuid(web.Uuid))
        {
            domain.Start();
        }

        var started = await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.State == DomainState.Running, Deadline, "web reads running again");
        Assert.False(started.UptimeIsLowerBound);
        var timeline = Service<GuestTimeline>().For(key);
        Assert.Contains(timeline, e => e.What.StartsWith("stopped", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.What.StartsWith("started", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PrivateHost_SuspendResumeDefineUndefine_ShowInTheStore()
    {
        var hostId = await AddPrivateHostAsync();
        var key = GuestState.KeyOf(hostId, Guid.Parse(GuestWorld.RunningUuid));
        await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.State == DomainState.Running, Deadline, "web is listed");
        var connection = Connection(hostId);

        using (var domain = connection.GetDomainByUuid(Guid.Parse(GuestWorld.RunningUuid)))
        {
            domain.Suspend();
            await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.State == DomainState.Paused, Deadline, "web reads paused");
            domain.Resume();
            await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.State == DomainState.Running, Deadline, "web reads running");
        }

        var uuid = Guid.NewGuid();
        using (connection.DefineDomain($"<domain type='test'><name>fresh</name><uuid>{uuid}</uuid><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>"))
        {
        }

        var freshKey = GuestState.KeyOf(hostId, uuid);
        await Eventually.ValueAsync(() => Store.Guests.Find(freshKey), g => g.Name == "fresh", Deadline, "a defined guest appears");
        using (var domain = connection.GetDomainByUuid(uuid))
        {
            domain.Undefine();
        }

        await Eventually.ValueAsync(() => Store.Guests.Find(freshKey) is null ? "gone" : null, _ => true, Deadline, "an undefined guest disappears");
    }

    [Fact]
    public async Task Watcher_EventThenOlderSnapshot_KeepsTheNewerState()
    {
        // A store and watcher of our own on a private world: nothing else writes to them.
        var store = new LiveStateStore(TimeProvider.System);
        var watcher = new GuestWatcher(store, new GuestTimeline(TimeProvider.System), TimeProvider.System, NullLogger<GuestWatcher>.Instance);
        using var connection = LibvirtConnection.Open($"test://{GuestWorld.WriteDefault()}");
        var host = new WatchedHost(Guid.NewGuid(), "ordering", connection);
        var uuid = Guid.Parse(GuestWorld.RunningUuid);
        var key = GuestState.KeyOf(host.HostId, uuid);
        await watcher.ResyncAsync(host, store.NextVersion(), CancellationToken.None);
        var snapshotVersion = store.NextVersion();

        // The listing began (snapshotVersion) before libvirt reported the pause; the listing itself still saw it running.
        var paused = new DomainLifecycleEvent("web", uuid, DomainLifecycleEventType.Suspended, (int)DomainSuspendedDetail.Paused) { Sequence = store.NextVersion() };
        await watcher.ApplyAsync(host, [paused], CancellationToken.None);
        await watcher.ResyncAsync(host, snapshotVersion, CancellationToken.None);

        Assert.Equal(DomainState.Paused, store.Guests.Find(key)!.State);
    }

    [Fact]
    public async Task Watcher_DisconnectedThenRemoved_MarksUnknownThenDrops()
    {
        var store = new LiveStateStore(TimeProvider.System);
        var watcher = new GuestWatcher(store, new GuestTimeline(TimeProvider.System), TimeProvider.System, NullLogger<GuestWatcher>.Instance);
        using var connection = LibvirtConnection.Open($"test://{GuestWorld.WriteDefault()}");
        var host = new WatchedHost(Guid.NewGuid(), "flaky", connection);
        await watcher.ResyncAsync(host, store.NextVersion(), CancellationToken.None);

        watcher.Disconnected(host.HostId, store.NextVersion());

        var guests = store.Guests.Current(g => g.HostId == host.HostId);
        Assert.Equal(2, guests.Count);
        Assert.All(guests, g => Assert.Equal("Unknown", g.StateText));

        watcher.Removed(host.HostId, store.NextVersion());

        Assert.Empty(store.Guests.Current(g => g.HostId == host.HostId));
    }
}

using System.Collections.Concurrent;
using VirtWeb.Cluster;
using VirtWeb.Guests;
using VirtWeb.IntegrationTests.Guests;

namespace VirtWeb.IntegrationTests.Cluster;

/// <summary>
/// Three app instances in this process on one PostgreSQL database and one Redis, each with three test-driver hosts
/// of their own world: every host's live state shows on every instance, through the bus where it is not the owner.
/// </summary>
public sealed class ClusterLiveStateTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly ClusterDatabase _database = new();
    private readonly string _prefix = TestRedis.NewPrefix();
    private readonly List<ClusterAppFactory> _instances = [];
    private readonly CancellationTokenSource _stopWatching = new();
    private readonly ConcurrentQueue<string> _wentBack = new();
    private readonly List<Guid> _hosts = [];
    private (string Name, LiveStateStore Store)[] _watched = [];
    private Task _watching = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        for (var i = 0; i < 3; i++)
        {
            _hosts.AddRange(await _database.AddHostsAsync(1, $"test://{GuestWorld.WriteDefault()}"));
        }

        foreach (var name in new[] { "vwl-a", "vwl-b", "vwl-c" })
        {
            var instance = new ClusterAppFactory(name, _database.ConnectionString, _prefix);
            await instance.InitializeAsync();
            _instances.Add(instance);
        }

        // The stores themselves, so an instance stopped by a test is still read (it no longer changes).
        _watched = _instances.Select(i => (i.Instance, Store(i))).ToArray();
        _watching = Task.Run(() => WatchVersionsAsync(_stopWatching.Token));
    }

    public async Task DisposeAsync()
    {
        await _stopWatching.CancelAsync();
        await _watching;
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        await _database.DisposeAsync();
        await TestRedis.DeletePrefixAsync(_prefix);
    }

    [Fact]
    public async Task LiveState_ChangeOnOwner_ShowsOnEveryInstanceAndVersionsNeverGoBack()
    {
        await EveryHostOneOwnerEachAsync();
        foreach (var instance in _instances)
        {
            // Every host, connected, with both of its guests, on every instance: its own and the others' through Redis.
            await Eventually.ValueAsync(() => Store(instance).Guests.Current(g => _hosts.Contains(g.HostId)),
                guests => guests.Count == 6 && Store(instance).Hosts.Current(h => _hosts.Contains(h.HostId)).Count(h => h.Connection == HostConnectionState.Connected) == 3,
                Deadline, $"{instance.Instance} shows three connected hosts and six guests");
        }

        var host = _hosts[0];
        var owner = OwnerOf(host);
        var key = GuestState.KeyOf(host, Guid.Parse(GuestWorld.ShutOffUuid));
        var before = _instances.ToDictionary(i => i.Instance, i => Store(i).Guests.VersionOf(key)!.Value);

        var result = await owner.WithScopeAsync(services =>
            services.GetRequiredService<GuestService>().RunAsync(GuestWorld.Admin, host, Guid.Parse(GuestWorld.ShutOffUuid), GuestAction.Start));

        Assert.True(result.Done, result.Message);
        var running = await Eventually.ValueAsync(() => Store(owner).Guests.Find(key), g => g.State == DomainState.Running, Deadline, "the owner shows db running");
        foreach (var follower in _instances.Where(i => i != owner))
        {
            // The owner's write, not a guess: newer than what the follower had, and no newer than the owner's own
            // (an owner's re-read that finds nothing new raises its version without a write going out).
            var shown = await Eventually.ValueAsync(() => Store(follower).Guests.Find(key), g => g.State == DomainState.Running,
                Deadline, $"{follower.Instance} shows db running");
            var version = Store(follower).Guests.VersionOf(key)!.Value;
            Assert.InRange(version, before[follower.Instance] + 1, Store(owner).Guests.VersionOf(key)!.Value);
            Assert.Equal((running.Reason, running.RunningSince), (shown.Reason, shown.RunningSince));
            Assert.True(Follower(follower).Follows(host));
        }

        Assert.Empty(_wentBack);
    }

    [Fact]
    public async Task LiveState_OwnerStops_NewOwnersChangesShowOnTheOtherAndVersionsNeverGoBack()
    {
        await EveryHostOneOwnerEachAsync();
        var host = _hosts[1];
        var oldOwner = OwnerOf(host);
        var key = GuestState.KeyOf(host, Guid.Parse(GuestWorld.RunningUuid));
        foreach (var instance in _instances)
        {
            await Eventually.ValueAsync(() => Store(instance).Guests.Find(key), g => g.State == DomainState.Running, Deadline, $"{instance.Instance} shows web running");
        }

        var oldVersion = Store(oldOwner).Guests.VersionOf(key)!.Value;
        _instances.Remove(oldOwner);
        await oldOwner.DisposeAsync();

        // The host is taken over (its world starts anew in the new owner's connection: web running again).
        var newOwner = await Eventually.ValueAsync(() => _instances.FirstOrDefault(i => Ownership(i).Owns(host)), _ => true, Deadline, "another instance owns the host");
        var other = Assert.Single(_instances, i => i != newOwner);
        await Eventually.ValueAsync(() => Store(other).Guests.Find(key), g => Store(other).Guests.VersionOf(key) > oldVersion,
            Deadline, $"{other.Instance} shows the new owner's web above the old owner's version");

        var versionBefore = Store(other).Guests.VersionOf(key)!.Value;
        var result = await newOwner.WithScopeAsync(services =>
            services.GetRequiredService<GuestService>().RunAsync(GuestWorld.Admin, host, Guid.Parse(GuestWorld.RunningUuid), GuestAction.ForceOff));

        Assert.True(result.Done, result.Message);
        await Eventually.ValueAsync(() => Store(other).Guests.Find(key), g => g.State == DomainState.Shutoff,
            Deadline, $"{other.Instance} shows web shut off");
        Assert.InRange(Store(other).Guests.VersionOf(key)!.Value, versionBefore + 1, Store(newOwner).Guests.VersionOf(key)!.Value);
        Assert.Empty(_wentBack);
    }

    private async Task EveryHostOneOwnerEachAsync()
    {
        await Eventually.ValueAsync(() => _database.LeasesAsync().GetAwaiter().GetResult(), leases =>
            leases.Count == 3 && leases.Select(l => l.Owner).Distinct().Count() == 3
            && _hosts.All(h => _instances.Count(i => Ownership(i).Owns(h)) == 1), Deadline, "each instance owns one host");
    }

    /// <summary>Every instance's version of every key of the test's hosts, read over and over: none may ever be lower than before.</summary>
    private async Task WatchVersionsAsync(CancellationToken cancellationToken)
    {
        var seen = new Dictionary<(string, string), long>();
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var (name, store) in _watched)
            {
                foreach (var guest in store.Guests.Current(g => _hosts.Contains(g.HostId)))
                {
                    if (store.Guests.VersionOf(guest.Key) is not { } version)
                    {
                        continue;
                    }

                    if (seen.TryGetValue((name, guest.Key), out var before) && version < before)
                    {
                        _wentBack.Enqueue($"{name} {guest.Key}: {before} then {version}");
                    }

                    seen[(name, guest.Key)] = version;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }
    }

    private ClusterAppFactory OwnerOf(Guid host) => Assert.Single(_instances, i => Ownership(i).Owns(host));

    private static LiveStateStore Store(ClusterAppFactory instance) => instance.Services.GetRequiredService<LiveStateStore>();

    private static IHostOwnership Ownership(ClusterAppFactory instance) => instance.Services.GetRequiredService<IHostOwnership>();

    private static LiveBus Follower(ClusterAppFactory instance) => instance.Services.GetRequiredService<LiveBus>();
}

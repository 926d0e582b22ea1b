using VirtWeb.Cluster;

namespace VirtWeb.IntegrationTests.Cluster;

/// <summary>Several lease managers in one process, each a separate instance, on one real PostgreSQL database.</summary>
public sealed class LeaseOwnershipTests : IAsyncLifetime
{
    private static readonly TimeSpan Takeover = TimeSpan.FromSeconds(15);
    private readonly ClusterDatabase _database = new();
    private readonly List<LeaseOwnership> _instances = [];

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.StopAsync(CancellationToken.None);
        }

        await _database.DisposeAsync();
    }

    private async Task<RecordingListener> StartAsync(LeaseOwnership instance)
    {
        var listener = new RecordingListener();
        _instances.Add(instance);
        await instance.StartAsync(listener, CancellationToken.None);
        return listener;
    }

    [Fact]
    public async Task Leases_ThreeInstancesSixHosts_EveryHostOneOwnerAndTwoEach()
    {
        var hosts = await _database.AddHostsAsync(6);
        var instances = new[] { _database.Instance("vwc-a"), _database.Instance("vwc-b"), _database.Instance("vwc-c") };
        foreach (var instance in instances)
        {
            await StartAsync(instance);
        }

        var held = await Eventually.ValueAsync(
            () => instances.Select(i => i.HeldLeases()).ToList(),
            all => all.All(h => h.Count == 2) && all.SelectMany(h => h.Keys).Distinct().Count() == 6,
            Takeover, "three instances share six hosts out, two each");

        Assert.Equal(hosts.Order(), held.SelectMany(h => h.Keys).Order());
        var rows = await _database.LeasesAsync();
        Assert.Equal(6, rows.Count);
        for (var i = 0; i < instances.Length; i++)
        {
            foreach (var (hostId, epoch) in held[i])
            {
                var row = Assert.Single(rows, r => r.HostId == hostId);
                Assert.Equal(instances[i].InstanceId, row.Owner);
                Assert.Equal(epoch, row.Epoch);
                Assert.True(instances[i].Owns(hostId));
                Assert.All(instances.Where((_, j) => j != i), other => Assert.False(other.Owns(hostId)));
            }
        }
    }

    [Fact]
    public async Task Leases_OwnerCutOffFromPostgres_StopsBeforeTheOtherTakesOver()
    {
        var hosts = await _database.AddHostsAsync(2);
        var server = new Npgsql.NpgsqlConnectionStringBuilder(_database.ConnectionString);
        await using var proxy = new TcpProxy("127.0.0.1", server.Port);
        var cutOff = ClusterDatabase.InstanceAt("vwc-cut", _database.Through(proxy));
        var cutOffSaw = await StartAsync(cutOff);
        await Eventually.ValueAsync(() => cutOff.HeldLeases(), h => h.Count == 2, Takeover, "the first instance owns both hosts");

        // A second instance joins: the first gives one host up to share them out.
        var other = _database.Instance("vwc-other");
        var otherSaw = await StartAsync(other);
        await Eventually.ValueAsync(() => other.HeldLeases(), h => h.Count == 1, Takeover, "the second instance takes its share");

        proxy.Freeze();
        await Eventually.ValueAsync(() => other.HeldLeases(), h => h.Count == 2, Takeover, "the second instance takes the cut-off one's host over");

        Assert.Empty(cutOff.HeldLeases());
        Assert.All(hosts, h => Assert.False(cutOff.Owns(h)));
        var intervals = cutOffSaw.Intervals.Concat(otherSaw.Intervals).ToList();
        foreach (var hostId in hosts)
        {
            var ofHost = intervals.Where(i => i.HostId == hostId).OrderBy(i => i.Epoch).ToList();
            for (var i = 1; i < ofHost.Count; i++)
            {
                // Epochs rise, and every earlier owner had stopped before the database granted the next lease.
                Assert.True(ofHost[i].Epoch > ofHost[i - 1].Epoch);
                Assert.NotNull(ofHost[i - 1].StoppedAt);
                Assert.True(ofHost[i - 1].StoppedAt < ofHost[i].AcquiredAt,
                    $"host {hostId}: epoch {ofHost[i - 1].Epoch} stopped at {ofHost[i - 1].StoppedAt:O}, epoch {ofHost[i].Epoch} granted at {ofHost[i].AcquiredAt:O}");
            }
        }

        // The cut-off instance owned both once and lost both, one by sharing out, one by the cut.
        Assert.Equal(2, cutOffSaw.Intervals.Count);
        Assert.All(cutOffSaw.Intervals, i => Assert.NotNull(i.StoppedAt));
    }

    [Fact]
    public async Task Leases_OwnerStopsCleanly_TheOtherTakesItsHosts()
    {
        var hosts = await _database.AddHostsAsync(2);
        var leaving = _database.Instance("vwc-leaving");
        var leavingSaw = await StartAsync(leaving);
        await Eventually.ValueAsync(() => leaving.HeldLeases(), h => h.Count == 2, Takeover, "the first instance owns both hosts");
        var staying = _database.Instance("vwc-staying");
        await StartAsync(staying);

        await leaving.StopAsync(CancellationToken.None);
        _instances.Remove(leaving);

        var held = await Eventually.ValueAsync(() => staying.HeldLeases(), h => h.Count == 2, Takeover, "the staying instance owns both hosts");
        Assert.All(leavingSaw.Intervals, i => Assert.NotNull(i.StoppedAt));
        var rows = await _database.LeasesAsync();
        Assert.All(rows, r => Assert.Equal("vwc-staying", r.Owner));
        Assert.All(hosts, h => Assert.Contains(h, held.Keys));
    }

    [Fact]
    public async Task Leases_HostRemoved_OwnerStopsItsSupervisor()
    {
        var hosts = await _database.AddHostsAsync(2);
        var instance = _database.Instance("vwc-removal");
        var saw = await StartAsync(instance);
        await Eventually.ValueAsync(() => instance.HeldLeases(), h => h.Count == 2, Takeover, "the instance owns both hosts");

        await using (var db = _database.Context())
        {
            await db.Hosts.Where(h => h.Id == hosts[0]).ExecuteDeleteAsync();
        }

        await Eventually.ValueAsync(() => saw.Intervals, i => i.Any(x => x.HostId == hosts[0] && x.StoppedAt is not null), Takeover, "the removed host's supervisor stops");
        Assert.False(instance.Owns(hosts[0]));
        Assert.True(instance.Owns(hosts[1]));
        Assert.DoesNotContain(await _database.LeasesAsync(), r => r.HostId == hosts[0]);
    }
}

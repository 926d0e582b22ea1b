namespace VirtWeb.IntegrationTests.Images;

/// <summary>
/// Re-reads of one host race: pool events reach the supervisor while actions re-read the same pool. A pool stopped
/// between reading its state and listing its volumes made libvirt refuse the listing ("storage pool is not active");
/// thrown out of the watcher that read as a lost connection, and the host dropped every pool and reconnected.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class StorageWatcherRaceTests(VirtWebFactory factory) : IntegrationTest(factory), IAsyncLifetime
{
    private const int Rounds = 1000;

    private Guid? _host;
    private string? _world;

    private StorageWatcher Watcher => Service<StorageWatcher>();

    [Fact]
    public async Task RefreshPool_PoolStoppedAndStartedUnderTheReads_NeverFailsNorDropsTheHost()
    {
        var host = await AddPrivateHostAsync();
        var connection = Service<IHostConnections>().GetConnection(host);
        var states = new List<HostConnectionState>();
        using var watching = new CancellationTokenSource();
        var subscription = Store.Hosts.Subscribe(h => h.HostId == host, watching.Token);
        var recording = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in subscription.Changes)
                {
                    // A filtered subscription also gets every other host's change, as a deletion of that host's key
                    // (to it they are out of the filter): only this host's key counts, and its deletion is a drop.
                    lock (states)
                    {
                        states.AddRange(batch.Where(c => c.Key == host.ToString())
                            .Select(c => c.Item?.Connection ?? HostConnectionState.Disconnected));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        using var pool = connection.GetStoragePoolByName("images");
        for (var round = 0; round < Rounds; round++)
        {
            // Each flip also sends a lifecycle event, whose re-read runs on the supervisor beside ours.
            var reads = Enumerable.Range(0, 3).Select(_ => Watcher.RefreshPoolAsync(host, connection, pool.Uuid)).ToList();
            await Task.Run(() =>
            {
                if (pool.IsActive)
                {
                    pool.Stop();
                }
                else
                {
                    pool.Start();
                }
            });
            await Task.WhenAll(reads);
        }

        var active = pool.IsActive;
        await Watcher.RefreshPoolAsync(host, connection, pool.Uuid);
        var listed = Store.Pools.Current(p => p.HostId == host && p.Name == "images").Single();
        Assert.Equal(active, listed.IsActive);
        Assert.Equal(active ? 2 : 0, Store.Volumes.Current(v => v.PoolUuid == listed.Uuid && v.HostId == host).Count);

        await watching.CancelAsync();
        await recording;
        lock (states)
        {
            Assert.DoesNotContain(HostConnectionState.Disconnected, states);
        }

        Assert.Equal(HostConnectionState.Connected, Store.Hosts.Find(host.ToString())!.Connection);
    }

    private async Task<Guid> AddPrivateHostAsync()
    {
        _world = StorageWorld.Write();
        var host = await WithScopeAsync(services =>
            services.GetRequiredService<HostService>().AddAsync(StorageWatcherTests.Admin, new HostInput(VirtWebFactory.UniqueUserName("race"), $"test://{_world}")));
        _host = host.Id;
        await Eventually.ValueAsync(
            () => Store.Hosts.Find(host.Id.ToString()), h => h.Connection == HostConnectionState.Connected, Deadline, "the private host connects");
        return host.Id;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is { } host)
        {
            await WithScopeAsync(async services =>
            {
                await services.GetRequiredService<HostService>().RemoveAsync(StorageWatcherTests.Admin, host);
                return true;
            });
        }

        if (_world is not null)
        {
            File.Delete(_world);
        }
    }
}

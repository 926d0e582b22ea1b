using VirtWeb.Live;

namespace VirtWeb.Usage;

/// <summary>
/// Samples every connected host: one loop per host, on its own task and its own libvirt connection, so a slow host (or
/// 5,000 guests) delays only itself and never the event path (libvirt's calls run on the thread pool, not on the event
/// loop, a supervisor or the supervisor's connection).
/// Every 10 s a full round (written to the history); every 2 s in between, the guests someone is looking at. A host
/// that is not connected has no loop, so its history has no points for that time: a gap, not a flat line.
/// </summary>
public sealed class UsageSampler(
    LiveStateStore store,
    UsageLive live,
    UsageWatch watch,
    UsageHistory history,
    IServiceProvider services,
    TimeProvider timeProvider,
    ILogger<UsageSampler> logger) : BackgroundService
{
    public static readonly TimeSpan FullInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan WatchedInterval = TimeSpan.FromSeconds(2);

    private readonly Dictionary<Guid, (CancellationTokenSource Stop, Task Loop)> _loops = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var connected = store.Hosts.Current(h => h.Connection == HostConnectionState.Connected).Select(h => h.HostId).ToHashSet();
                foreach (var hostId in connected.Where(id => !_loops.ContainsKey(id)).ToList())
                {
                    var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    _loops[hostId] = (stop, Task.Run(() => RunHostAsync(hostId, stop.Token), CancellationToken.None));
                }

                foreach (var (hostId, loop) in _loops.Where(l => !connected.Contains(l.Key) || l.Value.Loop.IsCompleted).ToList())
                {
                    await loop.Stop.CancelAsync();
                    await loop.Loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    loop.Stop.Dispose();
                    _loops.Remove(hostId);
                    live.Forget(hostId, store.NextVersion());
                }

                await Task.Delay(WatchedInterval, timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var loop in _loops.Values)
            {
                await loop.Stop.CancelAsync();
                await loop.Loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task RunHostAsync(Guid hostId, CancellationToken cancellationToken)
    {
        var sampler = new HostSampler(hostId, timeProvider);
        var nextFull = timeProvider.GetUtcNow();
        // The sampler's own connection, opened when the host connected and closed when it is not: a bulk stats call
        // over 5,000 guests then never waits for, or holds up, the supervisor's event connection.
        LibvirtConnection? connection = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    connection ??= await services.GetRequiredService<IHostConnections>().OpenOwnConnectionAsync(hostId, cancellationToken);
                    var cpus = store.Hosts.Find(hostId.ToString())?.Facts?.CpuCount ?? 1;
                    var now = timeProvider.GetUtcNow();
                    if (now >= nextFull)
                    {
                        var round = await SampleAsync(() => sampler.SampleAll(connection, cpus));
                        Publish(hostId, round);
                        await history.WriteAsync(round.At, round.Guests, round.Host, cancellationToken);
                        // The next full round at the next 10 s boundary, so every round lands in a bucket of its own.
                        nextFull = UsageTiers.Raw.BucketOf(round.At) + FullInterval;
                    }
                    else if (watch.WatchedOn(hostId) is { Count: > 0 } watched)
                    {
                        Publish(hostId, await SampleAsync(() => sampler.SampleWatched(connection, watched, cpus)));
                    }
                }
                catch (Exception e) when (e is LibvirtException or HostUnavailableException or ObjectDisposedException or Npgsql.NpgsqlException)
                {
                    // The supervisor notices a lost host and reconnects; this loop is stopped and started with it. A
                    // sampling connection that died on its own is opened again on the next round.
                    logger.LogDebug("Sampling {Host} failed: {Message}", hostId, e.Message);
                    if (connection is not null && !IsAlive(connection))
                    {
                        connection.Dispose();
                        connection = null;
                    }
                }

                var wait = nextFull - timeProvider.GetUtcNow();
                await Task.Delay(wait < WatchedInterval ? (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) : WatchedInterval, timeProvider, cancellationToken)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private static bool IsAlive(LibvirtConnection connection)
    {
        try
        {
            return connection.IsAlive;
        }
        catch (Exception e) when (e is LibvirtException or ObjectDisposedException)
        {
            return false;
        }
    }

    // Off the loop's thread: a bulk call blocks for as long as libvirt takes.
    private static Task<UsageRound> SampleAsync(Func<UsageRound> round) => Task.Run(round);

    private void Publish(Guid hostId, UsageRound round)
    {
        var version = store.NextVersion();
        if (round.Full)
        {
            live.AppendTrails(hostId, round.Guests);
            live.Guests.Replace(round.Guests, version, u => u.HostId == hostId);
            live.Hosts.Upsert(new HostUsageState(round.Host!), version);
        }
        else
        {
            foreach (var guest in round.Guests)
            {
                live.Guests.Upsert(guest, version);
            }
        }
    }
}

/// <summary>Rolls the history up and prunes it once a minute; the work runs once per minute whatever the host count.</summary>
public sealed class UsageMaintenance(UsageHistory history, TimeProvider timeProvider, ILogger<UsageMaintenance> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var now = timeProvider.GetUtcNow();
                    await history.RollUpAsync(now, stoppingToken);
                    await history.PruneAsync(now, stoppingToken);
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
                {
                    logger.LogWarning("Rolling up usage history failed: {Message}", e.Message);
                }

                await Task.Delay(Interval, timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

using VirtWeb.Live;

namespace VirtWeb.Usage;

/// <summary>
/// Samples every connected host: one loop per host, on its own task, so a slow host (or 5,000 guests) delays only
/// itself and never the event path (libvirt's calls run on the thread pool, not on the event loop or a supervisor).
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
    ILogger<UsageSampler> logger,
    VirtWeb.Cluster.IHostOwnership ownership,
    Microsoft.Extensions.Options.IOptions<UsageOptions> options) : BackgroundService
{
    public static readonly TimeSpan FullInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan WatchedInterval = TimeSpan.FromSeconds(2);

    private readonly Dictionary<Guid, (CancellationTokenSource Stop, Task Loop)> _loops = [];
    private long _activity;

    /// <summary>
    /// Goes up by one when a sampling round starts and again when it ends (odd while one runs), so a test that counts a
    /// host connection's libvirt calls can tell whether sampling calls fell inside its window.
    /// </summary>
    public long Activity => Interlocked.Read(ref _activity);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            logger.LogInformation("Usage sampling is off (Usage:Enabled is false): no host is sampled, the pages say so");
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Only the owner samples a host (with several instances), so its history is written once.
                var connected = store.Hosts.Current(h => h.Connection == HostConnectionState.Connected && ownership.Owns(h.HostId)).Select(h => h.HostId).ToHashSet();
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
        var failures = new SamplingFailureLog(timeProvider);
        var nextFull = timeProvider.GetUtcNow();
        // A connection of the sampler's own: a stats round of many guests then never holds the host's pages and actions
        // behind it (one call at a time per connection), and it is opened again after a failure.
        SeparateConnection? own = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    own ??= await services.GetRequiredService<IHostConnections>().OpenSeparateAsync(hostId, cancellationToken);
                    nextFull = await SampleOnceAsync(hostId, sampler, own.Connection, nextFull, cancellationToken);
                    if (failures.Recovered() is > 0 and var failed)
                    {
                        logger.LogInformation("Sampling {Host} works again after {Failures} failed rounds", hostId, failed);
                    }
                }
                catch (Exception e) when (e is LibvirtException or HostUnavailableException or ObjectDisposedException or Npgsql.NpgsqlException)
                {
                    // The supervisor notices a lost connection and reconnects; this loop is stopped and started with it.
                    // A missing reading is a gap in the history, so it is worth a warning, but a host that stays down
                    // fails every 2 s: one warning, then one every few minutes with the count in between.
                    if (failures.Failed() is { } suppressed)
                    {
                        logger.LogWarning("Sampling {Host} failed ({Suppressed} more failures since the last warning): {Message}", hostId, suppressed, e.Message);
                    }

                    if (e is not Npgsql.NpgsqlException)
                    {
                        own?.Dispose();
                        own = null;
                    }
                }

                var wait = nextFull - timeProvider.GetUtcNow();
                await Task.Delay(wait < WatchedInterval ? (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) : WatchedInterval, timeProvider, cancellationToken)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            own?.Dispose();
        }
    }

    private async Task<DateTimeOffset> SampleOnceAsync(Guid hostId, HostSampler sampler, LibvirtConnection connection, DateTimeOffset nextFull, CancellationToken cancellationToken)
    {
        var cpus = store.Hosts.Find(hostId.ToString())?.Facts?.CpuCount ?? 1;
        if (timeProvider.GetUtcNow() >= nextFull)
        {
            var round = Sample(() => sampler.SampleAll(connection, cpus));
            Publish(hostId, round);
            await history.WriteAsync(round.At, round.Guests, round.Host, cancellationToken);
            // The next full round at the next 10 s boundary, so every round lands in a bucket of its own.
            return UsageTiers.Raw.BucketOf(round.At) + FullInterval;
        }

        if (watch.WatchedOn(hostId) is { Count: > 0 } watched)
        {
            Publish(hostId, Sample(() => sampler.SampleWatched(connection, watched, cpus)));
        }

        return nextFull;
    }

    private UsageRound Sample(Func<UsageRound> round)
    {
        Interlocked.Increment(ref _activity);
        try
        {
            return round();
        }
        finally
        {
            Interlocked.Increment(ref _activity);
        }
    }

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

/// <summary>
/// When one host's sampling failures are logged as warnings: the first failure, then at most one per
/// <see cref="Interval"/> while they go on, each saying how many were not logged in between. Not thread-safe: one host's
/// loop owns it.
/// </summary>
public sealed class SamplingFailureLog(TimeProvider timeProvider)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    private DateTimeOffset? _lastWarning;
    private int _suppressed;
    private int _failures;

    /// <summary>A round failed: the failures not logged since the last warning when this one is to be logged, else null.</summary>
    public int? Failed()
    {
        _failures++;
        var now = timeProvider.GetUtcNow();
        if (_lastWarning is { } last && now - last < Interval)
        {
            _suppressed++;
            return null;
        }

        _lastWarning = now;
        var suppressed = _suppressed;
        _suppressed = 0;
        return suppressed;
    }

    /// <summary>A round worked: how many failed in a row before it (0 when none); the next failure warns at once.</summary>
    public int Recovered()
    {
        var failures = _failures;
        (_failures, _suppressed, _lastWarning) = (0, 0, null);
        return failures;
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

using System.Threading.Channels;

namespace VirtWeb.Cluster;

/// <summary>
/// Host ownership by leases in PostgreSQL (<c>HostLeases</c>): each instance heartbeats, renews what it holds,
/// takes hosts without a live lease up to its share (ceil(hosts / live instances)) and gives up what exceeds it.
/// <para>
/// Why a lease row and not a session advisory lock: an advisory lock is released when the database notices the
/// holder's session is gone, which for a cut network is whenever TCP keepalive says so (server settings, minutes by
/// default) and for <c>pg_terminate_backend</c> is at once, before the holder can know; and the holder learns it lost
/// the lock only by asking. Neither side has a bound the other can compute. A lease row's expiry is one number in the
/// database's clock that both sides can reason about.
/// </para>
/// <para>
/// Why two owners at once are impossible. The database grants a lease only with <c>ExpiresAt &lt; now()</c> on the
/// locked latest row, and renews one only while it is unexpired, for the same owner and epoch; each grant draws a
/// new epoch from one sequence. So the database's own record never has two unexpired leases for a host, and a
/// taker's interval starts after the previous lease's expiry E (database clock). The owner's interval ends before E:
/// it reads its monotonic clock at t0 BEFORE sending a renewal, the database computes E = now() + LeaseDuration with
/// now() taken after receiving it, so E is at least t0 + LeaseDuration in real time; the owner counts only
/// <see cref="ClusterOptions.OwnedFor"/> = LeaseDuration - ClockDriftAllowance from t0, starts stopping
/// <see cref="ClusterOptions.StopAllowance"/> earlier still, and <see cref="Owns"/> reads false from then on. This
/// needs no synchronized clocks, only that neither clock's rate is off by more than the drift allowance over one
/// lease (crystal clocks are off by parts per million; a step of the database's wall clock counts against it too).
/// Renewal failing, hanging or the database being cut off changes nothing: the deadline is local and runs on its own.
/// </para>
/// <para>
/// Versions: before a gained host's supervisor starts, the process-wide version sequence is raised to
/// epoch x 2^<see cref="EpochShift"/>. Every version the previous owner wrote was below (its epochs x 2^shift) plus
/// what it counted since, and its epochs were drawn before this one, so as long as one process draws fewer than
/// 2^<see cref="EpochShift"/> versions (5.5e11) the new owner's versions start above the old owner's. The old owner's
/// highest version at its last renewal is kept in the row and checked as well.
/// </para>
/// </summary>
public sealed class LeaseOwnership(HostLeases leases, ClusterOptions options, TimeProvider time, ILogger<LeaseOwnership> logger) : IHostOwnership
{
    public const int EpochShift = 39;

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, Held> _held = [];
    private readonly Channel<Func<Task>> _changes = Channel.CreateUnbounded<Func<Task>>(new() { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private IOwnershipListener? _listener;
    private Task _loops = Task.CompletedTask;
    private Task _applying = Task.CompletedTask;
    private bool _failing;

    private sealed record Held(long Epoch, long Deadline, string Name, string Uri, DateTimeOffset AcquiredAt);

    public bool IsClustered => true;

    public string InstanceId => leases.InstanceId;

    public bool Owns(Guid hostId)
    {
        lock (_lock)
        {
            return _held.TryGetValue(hostId, out var held) && time.GetTimestamp() < StopAt(held);
        }
    }

    /// <summary>The hosts held now with their epochs.</summary>
    public IReadOnlyDictionary<Guid, long> HeldLeases()
    {
        lock (_lock)
        {
            return _held.ToDictionary(h => h.Key, h => h.Value.Epoch);
        }
    }

    public Task StartAsync(IOwnershipListener listener, CancellationToken cancellationToken)
    {
        _listener = listener;
        _applying = Task.Run(ApplyLoopAsync, CancellationToken.None);
        _loops = Task.WhenAll(
            Task.Run(() => RenewLoopAsync(_stop.Token), CancellationToken.None),
            Task.Run(() => FenceLoopAsync(_stop.Token), CancellationToken.None));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _loops.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        List<(Guid HostId, long Epoch)> given;
        lock (_lock)
        {
            given = _held.Select(h => (h.Key, h.Value.Epoch)).ToList();
            _held.Clear();
        }

        foreach (var (hostId, _) in given)
        {
            _changes.Writer.TryWrite(() => _listener!.LostAsync(hostId));
        }

        _changes.Writer.TryComplete();
        await _applying.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (given.Count == 0)
        {
            return;
        }

        // The supervisors have stopped: the others may take the hosts now rather than when the leases run out.
        using var timeout = new CancellationTokenSource(options.StatementTimeout * 2);
        try
        {
            await leases.ReleaseAsync(given, LibvirtEventLoop.Instance.CurrentSequence, leaving: true, timeout.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "Instance {Instance} could not give its {Count} host leases up; they expire within {Duration}.", InstanceId, given.Count, options.LeaseDuration);
        }
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var round = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                round.CancelAfter(options.StatementTimeout * 2);
                await RoundAsync(round.Token);
                if (_failing)
                {
                    _failing = false;
                    logger.LogInformation("Instance {Instance} reaches the lease tables again.", InstanceId);
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
            {
                if (!_failing)
                {
                    _failing = true;
                    logger.LogWarning(e, "Instance {Instance} could not renew its host leases; it stops its hosts before they can expire.", InstanceId);
                }
            }

            try
            {
                await Task.Delay(options.RenewInterval, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RoundAsync(CancellationToken cancellationToken)
    {
        // Read BEFORE sending: the database's expiry is measured from a moment after this one.
        var sentAt = time.GetTimestamp();
        var held = Snapshot();
        var round = await leases.RenewAsync(held, LibvirtEventLoop.Instance.CurrentSequence, cancellationToken);
        var renewed = round.Renewed.ToDictionary(l => l.HostId);
        foreach (var (hostId, epoch) in held)
        {
            if (!renewed.TryGetValue(hostId, out var lease))
            {
                // Removed host or a lease that ran out: the row says so, so stop at once.
                Lose(hostId, epoch, release: false);
                continue;
            }

            lock (_lock)
            {
                if (_held.TryGetValue(hostId, out var current) && current.Epoch == epoch)
                {
                    _held[hostId] = current with { Deadline = sentAt + Ticks(options.OwnedFor), Name = lease.Name, Uri = lease.Uri };
                    if (current.Name != lease.Name || current.Uri != lease.Uri)
                    {
                        var changed = new OwnedHost(hostId, lease.Name, lease.Uri, epoch, current.AcquiredAt);
                        _changes.Writer.TryWrite(() => _listener!.OwnedAsync(changed));
                    }
                }
            }
        }

        var share = round.Hosts == 0 ? 0 : (round.Hosts + Math.Max(1, round.LiveInstances) - 1) / Math.Max(1, round.LiveInstances);
        var count = Snapshot().Count;
        if (count > share)
        {
            foreach (var (hostId, epoch) in Snapshot().TakeLast(count - share))
            {
                Lose(hostId, epoch, release: true);
            }
        }
        else if (count < share)
        {
            var acquiringAt = time.GetTimestamp();
            foreach (var lease in await leases.AcquireAsync(share - count, cancellationToken))
            {
                Gain(lease, acquiringAt);
            }
        }
    }

    private void Gain(HostLeases.Lease lease, long sentAt)
    {
        if (lease.Epoch >= 1L << (63 - EpochShift))
        {
            logger.LogCritical("Host lease epochs have reached {Epoch}, beyond what versions can carry; host {Host} is not started. Reset the HostLeaseEpochs sequence with every instance stopped.", lease.Epoch, lease.HostId);
            _changes.Writer.TryWrite(() => ReleaseAsync(lease.HostId, lease.Epoch));
            return;
        }

        var floor = lease.Epoch << EpochShift;
        if (lease.PreviousHighestVersion >= floor)
        {
            logger.LogWarning("The previous owner of host {Host} counted past epoch {Epoch}'s versions ({Version}); starting above it.", lease.HostId, lease.Epoch, lease.PreviousHighestVersion);
            floor = lease.PreviousHighestVersion + 1;
        }

        LibvirtEventLoop.Instance.RaiseSequenceFloor(floor);
        var owned = new OwnedHost(lease.HostId, lease.Name, lease.Uri, lease.Epoch, lease.AcquiredAt);
        lock (_lock)
        {
            _held[lease.HostId] = new Held(lease.Epoch, sentAt + Ticks(options.OwnedFor), lease.Name, lease.Uri, lease.AcquiredAt);
        }

        logger.LogInformation("Instance {Instance} owns host {Host} ({Name}) from epoch {Epoch}.", InstanceId, lease.HostId, lease.Name, lease.Epoch);
        _changes.Writer.TryWrite(() => _listener!.OwnedAsync(owned));
    }

    /// <summary>Stops owning a host: <see cref="Owns"/> reads false at once, the supervisor stops, then (when asked) the lease goes.</summary>
    private void Lose(Guid hostId, long epoch, bool release)
    {
        lock (_lock)
        {
            if (!_held.TryGetValue(hostId, out var held) || held.Epoch != epoch)
            {
                return;
            }

            _held.Remove(hostId);
        }

        logger.LogInformation("Instance {Instance} gives host {Host} (epoch {Epoch}) up{Why}.", InstanceId, hostId, epoch, release ? " to share hosts out" : "");
        _changes.Writer.TryWrite(async () =>
        {
            await _listener!.LostAsync(hostId);
            if (release)
            {
                await ReleaseAsync(hostId, epoch);
            }
        });
    }

    private async Task ReleaseAsync(Guid hostId, long epoch)
    {
        using var timeout = new CancellationTokenSource(options.StatementTimeout * 2);
        try
        {
            await leases.ReleaseAsync([(hostId, epoch)], LibvirtEventLoop.Instance.CurrentSequence, leaving: false, timeout.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogDebug(e, "Releasing host {Host} failed; its lease runs out instead.", hostId);
        }
    }

    /// <summary>Stops every host whose deadline (less the time a stop takes) has come, whatever the renewals do.</summary>
    private async Task FenceLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = time.GetTimestamp();
            List<(Guid HostId, long Epoch)> due;
            lock (_lock)
            {
                due = _held.Where(h => now >= StopAt(h.Value)).Select(h => (h.Key, h.Value.Epoch)).ToList();
            }

            foreach (var (hostId, epoch) in due)
            {
                logger.LogWarning("Instance {Instance} could not renew host {Host}'s lease in time; stopping it before the lease can expire.", InstanceId, hostId);
                Lose(hostId, epoch, release: false);
            }

            try
            {
                await Task.Delay(FenceTick, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ApplyLoopAsync()
    {
        await foreach (var change in _changes.Reader.ReadAllAsync())
        {
            try
            {
                await change();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogError(e, "Starting or stopping a host on ownership change failed.");
            }
        }
    }

    private static readonly TimeSpan FenceTick = TimeSpan.FromMilliseconds(100);

    private long StopAt(Held held) => held.Deadline - Ticks(options.StopAllowance);

    private List<(Guid HostId, long Epoch)> Snapshot()
    {
        lock (_lock)
        {
            return _held.OrderBy(h => h.Value.AcquiredAt).Select(h => (h.Key, h.Value.Epoch)).ToList();
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}

using System.Collections.Concurrent;

namespace VirtWeb.Hosts;

/// <summary>
/// The set of host connections: starts the libvirt event loop, then one <see cref="HostSupervisor"/> per stored host
/// whose URI the policy allows (a host it refuses reads <see cref="HostConnectionState.RefusedByPolicy"/> and is never
/// opened), and hands actions the connection of a connected host. With several instances
/// (<see cref="VirtWeb.Cluster.LeaseOwnership"/>) only the hosts this instance owns get a supervisor, started and
/// stopped as ownership is gained and lost; alone (<see cref="VirtWeb.Cluster.LocalOwnership"/>) every host is owned.
/// </summary>
public sealed class HostConnections(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    LiveStateStore store,
    DefaultHosts defaultHosts,
    HostUriPolicy policy,
    IEnumerable<IHostWatcher> watchers,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory,
    VirtWeb.Cluster.IHostOwnership ownership) : IHostConnections, IHostedService, VirtWeb.Cluster.IOwnershipListener
{
    private readonly ConcurrentDictionary<Guid, HostSupervisor> _supervisors = new();
    private readonly IReadOnlyList<IHostWatcher> _watchers = watchers.ToList();
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly ConcurrentDictionary<Guid, byte> _stopping = new();

    /// <summary>Whether a supervisor runs for the host here, or is still stopping (its last writes are this instance's own).</summary>
    public bool Supervises(Guid hostId) => _supervisors.ContainsKey(hostId) || _stopping.ContainsKey(hostId);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Once, before any connection: libvirt dispatches events and keepalives from this loop.
        LibvirtEventLoop.Instance.EnsureStarted();
        await defaultHosts.AddOnFirstRunAsync(cancellationToken);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        foreach (var host in await db.Hosts.AsNoTracking().ToListAsync(cancellationToken))
        {
            await ApplyAsync(host);
        }

        await ownership.StartAsync(this, cancellationToken);
    }

    public Task ApplyAsync(HostRecord host) => ApplyAsync(host.Id, host.Name, host.Uri);

    Task VirtWeb.Cluster.IOwnershipListener.OwnedAsync(VirtWeb.Cluster.OwnedHost host) => ApplyAsync(host.HostId, host.Name, host.Uri);

    Task VirtWeb.Cluster.IOwnershipListener.LostAsync(Guid hostId) => StopAsync(hostId);

    private async Task ApplyAsync(Guid hostId, string name, string uri)
    {
        var host = (Id: hostId, Name: name, Uri: uri);
        await _changes.WaitAsync();
        try
        {
            // Another instance owns it (or none yet): its owner starts it, and learns of a change from its lease
            // round, which reads the host's name and URI.
            if (!ownership.Owns(hostId))
            {
                return;
            }

            var verdict = policy.Check(host.Uri);
            if (_supervisors.TryGetValue(host.Id, out var running))
            {
                if (running.Uri == host.Uri && verdict.Allowed)
                {
                    running.Rename(host.Name);
                    return;
                }

                _supervisors.TryRemove(host.Id, out _);
                await running.DisposeAsync();
                if (!verdict.Allowed)
                {
                    running.Forget();
                }
            }

            if (verdict.ConnectUri is not { } connectUri)
            {
                store.Hosts.Upsert(
                    new HostState(host.Id, host.Name, host.Uri, HostConnectionState.RefusedByPolicy, timeProvider.GetUtcNow(), verdict.Problem),
                    store.NextVersion());
                loggerFactory.CreateLogger<HostConnections>().LogWarning(
                    "Host {Host} ({Uri}) is not connected: its URI is refused by policy. {Problem}", host.Name, host.Uri, verdict.Problem);
                return;
            }

            _supervisors[host.Id] = new HostSupervisor(
                host.Id, host.Name, host.Uri, connectUri, store, _watchers, timeProvider, loggerFactory.CreateLogger<HostSupervisor>());
        }
        finally
        {
            _changes.Release();
        }
    }

    public async Task StopAsync(Guid hostId)
    {
        await _changes.WaitAsync();
        try
        {
            _stopping[hostId] = 0;
            if (_supervisors.TryRemove(hostId, out var supervisor))
            {
                await supervisor.DisposeAsync();
                supervisor.Forget();
            }
            else
            {
                store.Hosts.Remove(hostId.ToString(), store.NextVersion());
            }
        }
        finally
        {
            _stopping.TryRemove(hostId, out _);
            _changes.Release();
        }
    }

    /// <summary>
    /// The live connection of a host, for actions on it. Throws a message an operator can act on when the host is
    /// unknown or not connected right now.
    /// </summary>
    public LibvirtConnection GetConnection(Guid hostId)
    {
        if (!_supervisors.TryGetValue(hostId, out var supervisor))
        {
            if (ownership.IsClustered && !ownership.Owns(hostId))
            {
                throw new HostUnavailableException(
                    $"This host is served by another VirtWeb instance, not by {ownership.InstanceId}; actions from other instances are not forwarded yet, so sign in through the instance that owns it.");
            }

            throw new HostUnavailableException(store.Hosts.Find(hostId.ToString()) is { Connection: HostConnectionState.RefusedByPolicy } refused
                ? $"{refused.Name} is not connected: its URI is refused by policy. {refused.Reason}"
                : "This host is not known to VirtWeb; it may have been removed.");
        }

        // The reason (a host not answering, a daemon stopped) tells the operator whether waiting helps.
        return supervisor.Connection
            ?? throw new HostUnavailableException(store.Hosts.Find(hostId.ToString())?.Reason is { Length: > 0 } reason
                ? $"{supervisor.Name} is not connected right now: {reason}. Nothing was changed; try again once it reads Connected."
                : $"{supervisor.Name} is not connected right now; try again once it reads Connected.");
    }

    public async Task<SeparateConnection> OpenSeparateAsync(Guid hostId, CancellationToken cancellationToken = default)
    {
        // Connected first: a host known to be down fails here at once, without an open that would wait on it.
        var shared = GetConnection(hostId);
        if (shared.Uri.StartsWith("test:", StringComparison.Ordinal))
        {
            return new SeparateConnection(shared, owned: false);
        }

        return _supervisors.TryGetValue(hostId, out var supervisor)
            ? new SeparateConnection(await supervisor.OpenSeparateAsync(cancellationToken), owned: true)
            : throw new HostUnavailableException("This host is not known to VirtWeb; it may have been removed.");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Clustered, the owned hosts stop first and their leases are given up for the other instances to take at once.
        await ownership.StopAsync(cancellationToken);
        foreach (var id in _supervisors.Keys.ToList())
        {
            if (_supervisors.TryRemove(id, out var supervisor))
            {
                await supervisor.DisposeAsync();
            }
        }
    }
}

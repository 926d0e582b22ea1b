using System.Collections.Concurrent;

namespace VirtWeb.Hosts;

/// <summary>
/// The set of host connections: starts the libvirt event loop, then one <see cref="HostSupervisor"/> per stored host
/// whose URI the policy allows (a host it refuses reads <see cref="HostConnectionState.RefusedByPolicy"/> and is never
/// opened), and hands actions the connection of a connected host.
/// </summary>
public sealed class HostConnections(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    LiveStateStore store,
    DefaultHosts defaultHosts,
    HostUriPolicy policy,
    IEnumerable<IHostWatcher> watchers,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory) : IHostConnections, IHostedService
{
    private readonly ConcurrentDictionary<Guid, HostSupervisor> _supervisors = new();
    private readonly IReadOnlyList<IHostWatcher> _watchers = watchers.ToList();
    private readonly SemaphoreSlim _changes = new(1, 1);

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
    }

    public async Task ApplyAsync(HostRecord host)
    {
        await _changes.WaitAsync();
        try
        {
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

    public async Task<LibvirtConnection> OpenOwnConnectionAsync(Guid hostId, CancellationToken cancellationToken)
    {
        _ = GetConnection(hostId); // connected now, or the operator's reason why not
        var connectUri = _supervisors.TryGetValue(hostId, out var supervisor) ? supervisor.ConnectUri
            : throw new HostUnavailableException("This host is not known to VirtWeb; it may have been removed.");
        var connection = await HostSupervisor.OpenAsync(connectUri, cancellationToken);
        // A host that stops answering fails the blocked bulk call within seconds instead of holding its caller.
        connection.SetKeepAlive(intervalSeconds: HostSupervisor.KeepAliveIntervalSeconds, count: HostSupervisor.KeepAliveCount);
        return connection;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var id in _supervisors.Keys.ToList())
        {
            if (_supervisors.TryRemove(id, out var supervisor))
            {
                await supervisor.DisposeAsync();
            }
        }
    }
}

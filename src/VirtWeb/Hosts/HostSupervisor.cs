using System.Threading.Channels;

namespace VirtWeb.Hosts;

/// <summary>
/// Keeps one host connected: open, close callback and keepalive, events registered, then the snapshot, then events.
/// On loss it reports Disconnected with the reason, waits with capped exponential backoff and resyncs in full.
/// </summary>
public sealed class HostSupervisor : IAsyncDisposable
{
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly Guid _hostId;
    private readonly string _uri;
    private readonly string _connectUri;
    private readonly LiveStateStore _store;
    private readonly IReadOnlyList<IHostWatcher> _watchers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private string _name;
    private HostState _state;
    private volatile LibvirtConnection? _connection;

    public HostSupervisor(
        Guid hostId,
        string name,
        string uri,
        string connectUri,
        LiveStateStore store,
        IReadOnlyList<IHostWatcher> watchers,
        TimeProvider time,
        ILogger logger)
    {
        _hostId = hostId;
        _name = name;
        _uri = uri;
        _connectUri = connectUri;
        _store = store;
        _watchers = watchers;
        _time = time;
        _logger = logger;
        _state = new HostState(hostId, name, uri, HostConnectionState.Connecting, time.GetUtcNow());
        _store.Hosts.Upsert(_state, _store.NextVersion());
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    public string Uri => _uri;

    public string Name => _name;

    /// <summary>The open connection while the host is connected; actions use it instead of opening their own.</summary>
    public LibvirtConnection? Connection => _connection;

    public void Rename(string name)
    {
        _name = name;
        Publish(_state with { Name = name }, _store.NextVersion());
    }

    /// <summary>The delay before reconnect attempt <paramref name="attempt"/> (0-based): 1, 2, 4, 8, 16, 30, 30 ... s.</summary>
    public static TimeSpan RetryDelay(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, FirstRetryDelay.Ticks << Math.Min(attempt, 16)));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var attempt = 0;
        var everConnected = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            try
            {
                reason = await ConnectAndWatchAsync(everConnected, () =>
                {
                    attempt = 0;
                    everConnected = true;
                }, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (LibvirtException e)
            {
                reason = LibvirtMessages.ForUser(e, _uri);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Supervising host {Host} failed unexpectedly.", _name);
                reason = $"VirtWeb failed while talking to the host: {e.Message}";
            }

            var lostVersion = _store.NextVersion();
            foreach (var watcher in _watchers)
            {
                watcher.Disconnected(_hostId, lostVersion);
            }

            var delay = RetryDelay(attempt++);
            var now = _time.GetUtcNow();
            Publish(new HostState(_hostId, _name, _uri, HostConnectionState.Disconnected, now, reason, now + delay), _store.NextVersion());
            _logger.LogWarning("Host {Host} ({Uri}) disconnected: {Reason}. Next attempt in {Delay}.", _name, _uri, reason, delay);
            try
            {
                await Task.Delay(delay, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Returns the reason the connection ended; throws when it could not be opened.</summary>
    private async Task<string> ConnectAndWatchAsync(bool reconnecting, Action connected, CancellationToken cancellationToken)
    {
        Publish(_state with
        {
            Connection = reconnecting ? HostConnectionState.Reconnecting : HostConnectionState.Connecting,
            Since = _time.GetUtcNow(),
            NextAttemptAt = null,
        }, _store.NextVersion());

        using var connection = await OpenAsync(_connectUri, cancellationToken);
        var lost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += (_, e) => lost.TrySetResult(CloseReason(e.Reason));
        // libvirt closes a connection after about interval * (count + 1) s without an answer: 2 s x 3 reads a frozen
        // host as not answering within 8 s (the issue asks for 10), and a ping every 2 s of silence costs nothing.
        connection.SetKeepAlive(intervalSeconds: KeepAliveIntervalSeconds, count: KeepAliveCount);

        // Register before listing: an event during the listing then outranks it (its sequence is newer). Each watcher
        // subscribes to the events it interprets; every watcher sees every batch.
        var events = Channel.CreateUnbounded<LibvirtEvent>(new() { SingleReader = true });
        var subscriptions = new List<IDisposable>();
        try
        {
            foreach (var watcher in _watchers)
            {
                subscriptions.AddRange(watcher.Subscribe(connection, events.Writer));
            }

            var host = new WatchedHost(_hostId, _name, connection);
            var snapshotVersion = _store.NextVersion();
            var facts = await Task.Run(() => HostFactsReader.Read(connection), cancellationToken);
            foreach (var watcher in _watchers)
            {
                await ResyncQuietlyAsync(watcher, host, snapshotVersion, cancellationToken);
            }

            _connection = connection;
            Publish(new HostState(_hostId, _name, _uri, HostConnectionState.Connected, _time.GetUtcNow(), Facts: facts), snapshotVersion);
            connected();
            _logger.LogInformation("Host {Host} ({Uri}) connected: {Driver} on {Hostname}.", _name, _uri, facts.Driver, facts.Hostname);

            while (true)
            {
                var next = events.Reader.WaitToReadAsync(cancellationToken).AsTask();
                var finished = await Task.WhenAny(next, lost.Task);
                if (finished == lost.Task)
                {
                    return await lost.Task;
                }

                await next;
                var batch = new List<LibvirtEvent>();
                while (events.Reader.TryRead(out var libvirtEvent))
                {
                    batch.Add(libvirtEvent);
                }

                try
                {
                    await ApplyAsync(host with { Name = _name }, batch, cancellationToken);
                }
                catch (LibvirtException e) when (!connection.IsAlive)
                {
                    // The close callback may not have run yet; the failed call already proves the link is gone.
                    return lost.Task.IsCompleted ? await lost.Task : LibvirtMessages.ForUser(e, _uri);
                }
            }
        }
        finally
        {
            _connection = null;
            foreach (var subscription in subscriptions)
            {
                subscription.Dispose();
            }
        }
    }

    private async Task ApplyAsync(WatchedHost host, IReadOnlyList<LibvirtEvent> batch, CancellationToken cancellationToken)
    {
        foreach (var watcher in _watchers)
        {
            try
            {
                await watcher.ApplyAsync(host, batch, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException && host.Connection.IsAlive)
            {
                // One watcher tripping over a race (a volume deleted between listing and reading it) must not cost
                // the whole host its connection: that watcher starts over from a fresh listing instead.
                _logger.LogWarning(e, "Applying events for {Watcher} on {Host} failed; resyncing it.", watcher.GetType().Name, _name);
                await ResyncQuietlyAsync(watcher, host, _store.NextVersion(), cancellationToken);
            }
        }
    }

    private async Task ResyncQuietlyAsync(IHostWatcher watcher, WatchedHost host, long version, CancellationToken cancellationToken)
    {
        try
        {
            await watcher.ResyncAsync(host, version, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException && host.Connection.IsAlive)
        {
            _logger.LogError(e, "Resyncing {Watcher} on {Host} failed too; it catches up with the next event.", watcher.GetType().Name, _name);
        }
    }

    /// <summary>Called when the host is removed from VirtWeb, after the supervisor stopped.</summary>
    public void Forget()
    {
        var version = _store.NextVersion();
        foreach (var watcher in _watchers)
        {
            watcher.Removed(_hostId, version);
        }

        _store.Hosts.Remove(_hostId.ToString(), version);
    }

    /// <summary>
    /// A second connection to this host for one long operation, with the same keepalive as the supervised one. An open
    /// that takes longer than the keepalive would allow reads as not answering, and is closed once it returns.
    /// </summary>
    public async Task<LibvirtConnection> OpenSeparateAsync(CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(KeepAliveIntervalSeconds * (KeepAliveCount + 1)));
        try
        {
            var connection = await OpenAsync(_connectUri, bound.Token);
            connection.SetKeepAlive(intervalSeconds: KeepAliveIntervalSeconds, count: KeepAliveCount);
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HostUnavailableException($"{_name} is not answering: a connection for this operation did not open in time. Nothing was changed.");
        }
    }

    // Opening blocks (DNS, ssh, TLS) and cannot be cancelled; a stop abandons it and closes it once it returns.
    internal static async Task<LibvirtConnection> OpenAsync(string connectUri, CancellationToken cancellationToken)
    {
        var opening = Task.Run(() => LibvirtConnection.Open(connectUri), CancellationToken.None);
        try
        {
            return await opening.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _ = opening.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    private void Publish(HostState state, long version)
    {
        if (_store.Hosts.Upsert(state, version))
        {
            _state = state;
        }
    }

    internal const int KeepAliveIntervalSeconds = 2;

    internal const int KeepAliveCount = 3;

    private static string CloseReason(ConnectionCloseReason reason) => reason switch
    {
        ConnectionCloseReason.Eof => "libvirt closed the connection (the daemon stopped or restarted)",
        ConnectionCloseReason.Keepalive => $"the host is not answering (no reply to keepalives for {KeepAliveIntervalSeconds * (KeepAliveCount + 1)} s)",
        ConnectionCloseReason.Error => "the connection failed with an error",
        ConnectionCloseReason.Client => "the connection was closed",
        _ => $"the connection closed ({reason})",
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}

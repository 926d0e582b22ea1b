using System.Threading.Channels;
using VirtWeb.Live;

namespace VirtWeb.Hosts;

/// <summary>
/// A watcher whose events are hints to re-read part of a host (storage, networks): every re-read, from an event, a
/// resync or an action, goes through the host's <see cref="HostReadGate"/>, so version order is read order. A subclass
/// says what to subscribe to, how to list the whole host, which re-read a batch of events asks for, and what to forget.
/// </summary>
public abstract class GatedHostWatcher(LiveStateStore store, ILogger logger, string what) : IHostWatcher
{
    private readonly HostReadGate _reads = new(store, logger, what);
    private readonly ILogger _logger = logger;
    private readonly string _what = what;

    /// <summary>The store the subclass writes (its own constructor parameter would be captured twice).</summary>
    protected LiveStateStore Store { get; } = store;

    public abstract IEnumerable<IDisposable> Subscribe(LibvirtConnection connection, ChannelWriter<LibvirtEvent> events);

    // The supervisor's version was taken before its listing; ours is taken later still, inside the gate, and outranks it.
    public Task ResyncAsync(WatchedHost host, long version, CancellationToken cancellationToken) =>
        ReadAsync(host, v => ResyncHost(host, v), tolerateFailure: false, cancellationToken);

    /// <summary>
    /// Starts the re-read the events ask for and returns without waiting for it: a host's events go through one lane, and
    /// a storage listing after a guest is defined reads every guest's definition (seconds at 5,000 guests), which would
    /// hold the next guest's state change behind it. The gate still runs this host's re-reads one at a time, in order.
    /// </summary>
    public Task ApplyAsync(WatchedHost host, IReadOnlyList<LibvirtEvent> events, CancellationToken cancellationToken)
    {
        if (RereadFor(host, events) is { } read)
        {
            _ = ReadAsync(host, read, tolerateFailure: true, cancellationToken).ContinueWith(
                t => _logger.LogWarning(t.Exception, "Re-reading {What} of {Host} after its events failed; the next event or resync reads again.", _what, host.Name),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return Task.CompletedTask;
    }

    public void Disconnected(Guid hostId, long version) => Forget(hostId, version);

    public void Removed(Guid hostId, long version)
    {
        Forget(hostId, version);
        _reads.Forget(hostId);
    }

    /// <summary>The re-read <paramref name="events"/> ask for, run at one version; null when they ask nothing of this watcher.</summary>
    protected abstract Action<long>? RereadFor(WatchedHost host, IReadOnlyList<LibvirtEvent> events);

    /// <summary>Lists everything of this kind on the host, at <paramref name="version"/>.</summary>
    protected abstract void ResyncHost(WatchedHost host, long version);

    /// <summary>Empties the store of this kind for the host.</summary>
    protected abstract void Forget(Guid hostId, long version);

    /// <summary>A re-read for an action that just changed the host: a failure on a live connection is logged, not thrown.</summary>
    protected Task RefreshAsync(WatchedHost host, Action<long> read) => ReadAsync(host, read, tolerateFailure: true, CancellationToken.None);

    /// <summary>The host as a re-read sees it, for an action that holds only its id and connection.</summary>
    public WatchedHost HostOf(Guid hostId, LibvirtConnection connection) =>
        new(hostId, Store.Hosts.Find(hostId.ToString())?.Name ?? connection.Uri, connection);

    private Task ReadAsync(WatchedHost host, Action<long> read, bool tolerateFailure, CancellationToken cancellationToken) =>
        _reads.ReadAsync(host, read, tolerateFailure, cancellationToken);
}

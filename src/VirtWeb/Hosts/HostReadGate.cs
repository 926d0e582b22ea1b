using System.Collections.Concurrent;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.Hosts;

/// <summary>
/// How a watcher re-reads part of a host: re-reads of one host come from the supervisor's events and from actions at
/// the same time, so they run one at a time per host, and each takes its version only once its turn has come. Version
/// order is then read order, so a listing made before a change can never outrank (or leave a tombstone over) a
/// listing made after it.
/// </summary>
public sealed class HostReadGate(LiveStateStore store, ILogger logger, string what)
{
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _gates = new();

    public async Task ReadAsync(WatchedHost host, Action<long> read, bool tolerateFailure, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(host.HostId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var version = store.NextVersion();
            await Task.Run(() => read(version), cancellationToken);
        }
        catch (LibvirtException e) when (tolerateFailure && host.Connection.IsAlive)
        {
            // A re-read that failed on a live connection is not a lost connection: thrown to the supervisor it would
            // drop the host and reconnect, thrown to an action it would report a change that did happen as failed.
            // The store keeps what it had until the next event or action reads again.
            logger.LogWarning("Re-reading {What} of {Host} failed: {Message}", what, host.Name, e.Message);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The host was removed: its gate goes too.</summary>
    public void Forget(Guid hostId) => _gates.TryRemove(hostId, out _);
}

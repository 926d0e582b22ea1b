using System.Threading.Channels;

namespace VirtWeb.Hosts;

/// <summary>A connected host, as a watcher sees it.</summary>
public sealed record WatchedHost(Guid HostId, string Name, LibvirtConnection Connection);

/// <summary>
/// One kind of live state a host supervisor keeps current (guests, storage pools, ...): the watcher interprets the
/// events and writes the live store. The supervisor calls it in this order: subscribe to events, then resync (the
/// snapshot), then apply events; and tells it when the connection is lost or the host is removed. Calls for one host
/// never overlap.
/// </summary>
public interface IHostWatcher
{
    /// <summary>
    /// Registers the libvirt events this watcher interprets, writing them to <paramref name="events"/>. Every watcher is
    /// handed every event of the host, whoever registered it (storage reads the domain lifecycle events guests register),
    /// so each kind is registered once.
    /// </summary>
    IEnumerable<IDisposable> Subscribe(LibvirtConnection connection, ChannelWriter<LibvirtEvent> events);

    /// <summary>Lists everything afresh. <paramref name="version"/> was taken before the listing began.</summary>
    Task ResyncAsync(WatchedHost host, long version, CancellationToken cancellationToken);

    /// <summary>Applies a batch of events, in the order libvirt sent them.</summary>
    Task ApplyAsync(WatchedHost host, IReadOnlyList<LibvirtEvent> events, CancellationToken cancellationToken);

    /// <summary>The connection is gone; what is known of the host is no longer live.</summary>
    void Disconnected(Guid hostId, long version);

    /// <summary>The host was removed from VirtWeb; forget everything about it.</summary>
    void Removed(Guid hostId, long version);
}

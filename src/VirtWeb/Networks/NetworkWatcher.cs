using System.Threading.Channels;
using VirtWeb.Hosts;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.Networks;

/// <summary>
/// Keeps every host's virtual networks and guests' network cards in the live store. Network lifecycle events are hints
/// to re-read that network; a guest defined, started, stopped or undefined, or a device added to or removed from it,
/// re-reads that guest's cards. Re-reads of one host run one at a time, in version order (see <see cref="HostReadGate"/>).
/// </summary>
public sealed class NetworkWatcher(LiveStateStore store, ILogger<NetworkWatcher> logger) : IHostWatcher
{
    private readonly HostReadGate _reads = new(store, logger, "networks");

    public IEnumerable<IDisposable> Subscribe(LibvirtConnection connection, ChannelWriter<LibvirtEvent> events)
    {
        var subscriptions = new List<IDisposable> { connection.SubscribeNetworkEvents(NetworkEventKind.Lifecycle, events) };
        try
        {
            // A card hot-plugged or unplugged: drivers without device events (the test driver) simply send none.
            subscriptions.Add(connection.SubscribeDomainEvents(DomainEventKind.DeviceAdded, events));
            subscriptions.Add(connection.SubscribeDomainEvents(DomainEventKind.DeviceRemoved, events));
        }
        catch (LibvirtException)
        {
        }

        return subscriptions;
    }

    public Task ResyncAsync(WatchedHost host, long version, CancellationToken cancellationToken) =>
        ReadAsync(host, v => ResyncHost(host, v), tolerateFailure: false, cancellationToken);

    public Task ApplyAsync(WatchedHost host, IReadOnlyList<LibvirtEvent> events, CancellationToken cancellationToken)
    {
        var networks = events.OfType<NetworkEvent>().Select(e => e.NetworkUuid).Distinct().ToList();
        var guests = events.OfType<DomainEvent>()
            .Where(e => e is DomainDeviceAddedEvent or DomainDeviceRemovedEvent
                || e is DomainLifecycleEvent { Type: DomainLifecycleEventType.Defined or DomainLifecycleEventType.Undefined or DomainLifecycleEventType.Started or DomainLifecycleEventType.Stopped })
            .Select(e => e.DomainUuid).Distinct().ToList();
        if (networks.Count == 0 && guests.Count == 0)
        {
            return Task.CompletedTask;
        }

        return ReadAsync(host, version =>
        {
            foreach (var uuid in networks)
            {
                RereadNetwork(host, uuid, version);
            }

            foreach (var uuid in guests)
            {
                RereadGuest(host, uuid, version);
            }
        }, tolerateFailure: true, cancellationToken);
    }

    public void Disconnected(Guid hostId, long version) => Forget(hostId, version);

    public void Removed(Guid hostId, long version)
    {
        Forget(hostId, version);
        _reads.Forget(hostId);
    }

    /// <summary>Re-reads one network now, for an action that just changed it (or removed it).</summary>
    public Task RefreshNetworkAsync(WatchedHost host, Guid uuid) =>
        ReadAsync(host, version => RereadNetwork(host, uuid, version), tolerateFailure: true, CancellationToken.None);

    /// <summary>Re-reads one guest's cards now, for an action that just changed them.</summary>
    public Task RefreshGuestAsync(WatchedHost host, Guid uuid) =>
        ReadAsync(host, version => RereadGuest(host, uuid, version), tolerateFailure: true, CancellationToken.None);

    /// <summary>Re-reads every network of the host now.</summary>
    public Task RefreshHostAsync(WatchedHost host) =>
        ReadAsync(host, version => ResyncHost(host, version), tolerateFailure: true, CancellationToken.None);

    private Task ReadAsync(WatchedHost host, Action<long> read, bool tolerateFailure, CancellationToken cancellationToken) =>
        _reads.ReadAsync(host, read, tolerateFailure, cancellationToken);

    private void ResyncHost(WatchedHost host, long version)
    {
        var networks = new List<NetworkState>();
        foreach (var network in host.Connection.ListNetworks())
        {
            using (network)
            {
                try
                {
                    networks.Add(NetworkReader.ReadNetwork(host.HostId, host.Name, network));
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoNetwork)
                {
                    // Undefined while we listed.
                }
            }
        }

        store.Networks.Replace(networks, version, n => n.HostId == host.HostId);
        store.Nics.Replace(NetworkReader.ReadAllNics(host.HostId, host.Connection), version, n => n.HostId == host.HostId);
    }

    private void RereadNetwork(WatchedHost host, Guid uuid, long version)
    {
        try
        {
            using var network = host.Connection.GetNetworkByUuid(uuid);
            store.Networks.Upsert(NetworkReader.ReadNetwork(host.HostId, host.Name, network), version);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoNetwork)
        {
            store.Networks.Remove(NetworkState.KeyOf(host.HostId, uuid), version);
        }
    }

    private void RereadGuest(WatchedHost host, Guid uuid, long version)
    {
        IReadOnlyList<GuestNicState> nics;
        try
        {
            using var domain = host.Connection.GetDomainByUuid(uuid);
            nics = NetworkReader.ReadNics(host.HostId, domain);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            nics = [];
        }

        store.Nics.Replace(nics, version, n => n.HostId == host.HostId && n.GuestUuid == uuid);
    }

    private void Forget(Guid hostId, long version)
    {
        store.Networks.Replace([], version, n => n.HostId == hostId);
        store.Nics.Replace([], version, n => n.HostId == hostId);
        store.Leases.Replace([], version, l => l.HostId == hostId);
    }
}

using System.Threading.Channels;
using VirtWeb.Hosts;
using VirtWeb.Guests;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Live;

namespace VirtWeb.Networks;

/// <summary>
/// Keeps every host's virtual networks and guests' network cards in the live Store. Network lifecycle events are hints
/// to re-read that network; a device added to or removed from a guest re-reads that guest's cards. A guest defined,
/// started, stopped or undefined is re-read by <see cref="GuestWatcher"/>, which hands over the XML it read
/// (<see cref="IGuestReadListener"/>): its cards cost no call of their own. Re-reads of one host run one at a time, in
/// version order (see <see cref="HostReadGate"/>).
/// </summary>
public sealed class NetworkWatcher(LiveStateStore store, ILogger<NetworkWatcher> logger)
    : GatedHostWatcher(store, logger, "networks"), IGuestReadListener
{
    public override IEnumerable<IDisposable> Subscribe(LibvirtConnection connection, ChannelWriter<LibvirtEvent> events)
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

    protected override Action<long>? RereadFor(WatchedHost host, IReadOnlyList<LibvirtEvent> events)
    {
        var networks = events.OfType<NetworkEvent>().Select(e => e.NetworkUuid).Distinct().ToList();
        var guests = events.OfType<DomainEvent>()
            .Where(e => e is DomainDeviceAddedEvent or DomainDeviceRemovedEvent)
            .Select(e => e.DomainUuid).Distinct().ToList();
        if (networks.Count == 0 && guests.Count == 0)
        {
            return null;
        }

        return version =>
        {
            foreach (var uuid in networks)
            {
                RereadNetwork(host, uuid, version);
            }

            foreach (var uuid in guests)
            {
                RereadGuest(host, uuid, version);
            }
        };
    }

    public void GuestRead(WatchedHost host, GuestState guest, DomainDefinition definition, long version) =>
        Store.Nics.Replace(NetworkReader.NicsOf(host.HostId, guest.Uuid, guest.IsActive, definition), version, n => n.HostId == host.HostId && n.GuestUuid == guest.Uuid);

    public void GuestGone(WatchedHost host, Guid uuid, long version) =>
        Store.Nics.Replace([], version, n => n.HostId == host.HostId && n.GuestUuid == uuid);

    /// <summary>Re-reads one network now, for an action that just changed it (or removed it).</summary>
    public Task RefreshNetworkAsync(WatchedHost host, Guid uuid) => RefreshAsync(host, version => RereadNetwork(host, uuid, version));

    /// <summary>Re-reads one guest's cards now, for an action that just changed them.</summary>
    public Task RefreshGuestAsync(WatchedHost host, Guid uuid) => RefreshAsync(host, version => RereadGuest(host, uuid, version));

    /// <summary>Re-reads every network of the host now.</summary>
    public Task RefreshHostAsync(WatchedHost host) => RefreshAsync(host, version => ResyncHost(host, version));

    protected override void ResyncHost(WatchedHost host, long version)
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

        Store.Networks.Replace(networks, version, n => n.HostId == host.HostId);
        Store.Nics.Replace(NetworkReader.ReadAllNics(host.HostId, host.Connection), version, n => n.HostId == host.HostId);
    }

    private void RereadNetwork(WatchedHost host, Guid uuid, long version)
    {
        try
        {
            using var network = host.Connection.GetNetworkByUuid(uuid);
            Store.Networks.Upsert(NetworkReader.ReadNetwork(host.HostId, host.Name, network), version);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoNetwork)
        {
            Store.Networks.Remove(NetworkState.KeyOf(host.HostId, uuid), version);
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

        Store.Nics.Replace(nics, version, n => n.HostId == host.HostId && n.GuestUuid == uuid);
    }

    protected override void Forget(Guid hostId, long version)
    {
        Store.Networks.Replace([], version, n => n.HostId == hostId);
        Store.Nics.Replace([], version, n => n.HostId == hostId);
        Store.Leases.Replace([], version, l => l.HostId == hostId);
    }
}

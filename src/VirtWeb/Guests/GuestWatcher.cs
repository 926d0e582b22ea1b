using System.Threading.Channels;

namespace VirtWeb.Guests;

/// <summary>
/// Keeps <see cref="LiveStateStore.Guests"/> current for every host, from the domain events it subscribes to:
/// define/undefine/start/stop are hints to re-read that one domain, suspend/resume are patched directly (they change
/// nothing but the state). What is derived from the guests (a host's guest counts) is read from the store, so an event
/// costs the host the same few calls whether it has ten guests or thousands.
/// </summary>
public sealed class GuestWatcher(LiveStateStore store, GuestTimeline timeline, TimeProvider timeProvider, ILogger<GuestWatcher> logger)
    : IHostWatcher
{
    public IEnumerable<IDisposable> Subscribe(LibvirtConnection connection, ChannelWriter<LibvirtEvent> events)
    {
        var lifecycle = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, events);
        // The agent coming and going changes how a shutdown is sent; drivers without agent events are fine.
        try
        {
            return [lifecycle, connection.SubscribeDomainEvents(DomainEventKind.AgentLifecycle, events)];
        }
        catch (LibvirtException)
        {
            return [lifecycle];
        }
    }

    public Task ResyncAsync(WatchedHost host, long version, CancellationToken cancellationToken) =>
        Task.Run(() => Resync(host, version), cancellationToken);

    public Task ApplyAsync(WatchedHost host, IReadOnlyList<LibvirtEvent> events, CancellationToken cancellationToken) =>
        Task.Run(() => Apply(host, events), cancellationToken);

    public void Disconnected(Guid hostId, long version)
    {
        // Keep what was last seen, so the list does not empty on a blip, but stop claiming it is live.
        foreach (var guest in store.Guests.Current(g => g.HostId == hostId && g.HostConnected))
        {
            store.Guests.Upsert(guest with { HostConnected = false }, version);
        }
    }

    public void Removed(Guid hostId, long version)
    {
        store.Guests.Replace([], version, g => g.HostId == hostId);
        timeline.ForgetHost(hostId);
    }

    private void Resync(WatchedHost host, long version)
    {
        var now = timeProvider.GetUtcNow();
        var guests = new List<GuestState>();
        foreach (var domain in host.Connection.ListDomains())
        {
            using (domain)
            {
                try
                {
                    var uuid = domain.Uuid;
                    guests.Add(GuestReader.Read(host, domain, store.Guests.Find(GuestState.KeyOf(host.HostId, uuid)), now));
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                {
                    // Undefined while listing: its undefine event removes it.
                }
            }
        }

        store.Guests.Replace(guests, version, g => g.HostId == host.HostId);
    }

    private void Apply(WatchedHost host, IReadOnlyList<LibvirtEvent> events)
    {
        var domainEvents = events.OfType<DomainEvent>().ToList();
        foreach (var group in domainEvents.GroupBy(e => e.DomainUuid))
        {
            var key = GuestState.KeyOf(host.HostId, group.Key);
            foreach (var e in group)
            {
                timeline.Add(key, Describe(e));
            }

            var lifecycle = group.OfType<DomainLifecycleEvent>().ToList();
            var needsReRead = lifecycle.Any(e => e.Type is not (DomainLifecycleEventType.Suspended or DomainLifecycleEventType.Resumed))
                || group.Any(e => e is DomainAgentLifecycleEvent);
            try
            {
                if (needsReRead)
                {
                    ReRead(host, group.Key, sawStart: lifecycle.Any(e => e.Type == DomainLifecycleEventType.Started));
                }
                else
                {
                    foreach (var e in lifecycle)
                    {
                        Patch(key, e);
                    }
                }
            }
            catch (LibvirtException e) when (host.Connection.IsAlive)
            {
                logger.LogWarning("Re-reading guest {Uuid} on {Host} failed: {Message}", group.Key, host.Name, e.Message);
            }
        }
    }

    /// <summary>Reads one guest afresh; removes it when libvirt no longer knows it.</summary>
    public void ReRead(WatchedHost host, Guid uuid, bool sawStart = false)
    {
        // Taken before reading: anything libvirt reports after this point outranks what this read returns.
        var version = store.NextVersion();
        var key = GuestState.KeyOf(host.HostId, uuid);
        try
        {
            using var domain = host.Connection.GetDomainByUuid(uuid);
            store.Guests.Upsert(GuestReader.Read(host, domain, store.Guests.Find(key), timeProvider.GetUtcNow(), sawStart), version);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            store.Guests.Remove(key, version);
        }
    }

    private void Patch(string key, DomainLifecycleEvent e)
    {
        if (store.Guests.Find(key) is not { } guest)
        {
            return;
        }

        var state = e.Type == DomainLifecycleEventType.Suspended ? DomainState.Paused : DomainState.Running;
        store.Guests.Upsert(guest with { State = state, Reason = GuestText.Reason(e), HostConnected = true }, e.Sequence);
    }

    private static string Describe(DomainEvent e) => e switch
    {
        DomainLifecycleEvent lifecycle => GuestText.Event(lifecycle),
        DomainAgentLifecycleEvent agent => $"guest agent {GuestText.Words(agent.State.ToString())}",
        _ => GuestText.Words(e.GetType().Name.Replace("Domain", "", StringComparison.Ordinal).Replace("Event", "", StringComparison.Ordinal)),
    };
}

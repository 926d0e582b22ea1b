using System.Threading.Channels;

namespace VirtWeb.Guests;

/// <summary>
/// Keeps <see cref="LiveStateStore.Guests"/> current for every host, from the domain events it subscribes to:
/// every lifecycle event that implies a state is patched onto the row at once (<see cref="GuestPatch"/>); define/undefine,
/// start/stop and the agent coming or going are then hints to re-read that one domain, in as few calls as the event allows;
/// suspend/resume change nothing but the state and need no re-read. What is derived from the guests (a host's guest
/// counts) is read from the store, so an event costs the host the same few calls whether it has ten guests or thousands.
/// </summary>
public sealed class GuestWatcher(
    LiveStateStore store, GuestTimeline timeline, TimeProvider timeProvider, ILogger<GuestWatcher> logger, IEnumerable<IGuestReadListener> listeners)
    : IHostWatcher
{
    private readonly IGuestReadListener[] _listeners = [.. listeners];

    public GuestWatcher(LiveStateStore store, GuestTimeline timeline, TimeProvider timeProvider, ILogger<GuestWatcher> logger)
        : this(store, timeline, timeProvider, logger, [])
    {
    }

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
        // Every guest of the batch is patched before any is re-read: the rows show what the events say before libvirt
        // is asked anything, and in a burst (a bulk start of hundreds) the last guest's patch does not wait behind every
        // other guest's re-read (three calls each). The re-reads then fill in the rest (vCPUs, memory, the agent, what the
        // XML says) as second changes, usually empty ones.
        var groups = events.OfType<DomainEvent>().GroupBy(e => e.DomainUuid).Select(group =>
        {
            var key = GuestState.KeyOf(host.HostId, group.Key);
            foreach (var e in group)
            {
                timeline.Add(key, Describe(e));
            }

            var lifecycle = group.OfType<DomainLifecycleEvent>().ToList();
            var patched = false;
            foreach (var e in lifecycle)
            {
                patched |= Patch(key, e);
            }

            return (Group: group, Key: key, Lifecycle: lifecycle, Patched: patched);
        }).ToList();
        foreach (var (group, key, lifecycle, patched) in groups)
        {
            try
            {
                if (lifecycle.Any(e => e.Type is DomainLifecycleEventType.Defined or DomainLifecycleEventType.Undefined)
                    || store.Guests.Find(key) is null)
                {
                    ReRead(host, group.Key, sawStart: !patched && lifecycle.Any(e => e.Type == DomainLifecycleEventType.Started));
                }
                else if (lifecycle.Any(e => e.Type is not (DomainLifecycleEventType.Suspended or DomainLifecycleEventType.Resumed))
                    || group.Any(e => e is DomainAgentLifecycleEvent))
                {
                    ReReadAfterEvent(host, group.Key, managedSaveMayHaveChanged: lifecycle.Any(e =>
                        e.Detail is DomainStoppedDetail.Saved or DomainStartedDetail.Restored));
                }
            }
            catch (LibvirtException e) when (host.Connection.IsAlive)
            {
                logger.LogWarning("Re-reading guest {Uuid} on {Host} failed: {Message}", group.Key, host.Name, e.Message);
            }
        }
    }

    /// <summary>Reads one guest afresh; removes it when libvirt no longer knows it.</summary>
    public void ReRead(WatchedHost host, Guid uuid, bool sawStart = false) =>
        ReadOne(host, uuid, (domain, previous, now, read) => GuestReader.Read(host, domain, previous, now, sawStart, read));

    /// <summary>The re-read after an event, which knows what the event cannot have changed (see <see cref="GuestReader.ReadAfterEvent"/>).</summary>
    private void ReReadAfterEvent(WatchedHost host, Guid uuid, bool managedSaveMayHaveChanged) =>
        ReadOne(host, uuid, (domain, previous, now, read) => previous is null
            ? GuestReader.Read(host, domain, previous, now, read: read)
            : GuestReader.ReadAfterEvent(host, domain, uuid, previous, now, managedSaveMayHaveChanged, read));

    // The listeners get the definition this read fetched anyway, so a re-read costs the same calls however many features
    // derive something from the guest's XML.
    private void ReadOne(WatchedHost host, Guid uuid, Func<LibvirtDomain, GuestState?, DateTimeOffset, Action<DomainDefinition>, GuestState> read)
    {
        // Taken before reading: anything libvirt reports after this point outranks what this read returns.
        var version = store.NextVersion();
        var key = GuestState.KeyOf(host.HostId, uuid);
        try
        {
            using var domain = host.Connection.GetDomainByUuid(uuid);
            DomainDefinition? definition = null;
            var guest = read(domain, store.Guests.Find(key), timeProvider.GetUtcNow(), d => definition = d);
            store.Guests.Upsert(guest, version);
            foreach (var listener in _listeners)
            {
                listener.GuestRead(host, guest, definition!, version);
            }
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            store.Guests.Remove(key, version);
            foreach (var listener in _listeners)
            {
                listener.GuestGone(host, uuid, version);
            }
        }
    }

    /// <summary>Shows the state <paramref name="e"/> implies on the guest's row, at the event's own version.</summary>
    private bool Patch(string key, DomainLifecycleEvent e) =>
        store.Guests.Find(key) is { } guest
        && GuestPatch.Apply(guest, e, timeProvider.GetUtcNow()) is { } patched
        && store.Guests.Upsert(patched, e.Sequence);

    private static string Describe(DomainEvent e) => e switch
    {
        DomainLifecycleEvent lifecycle => GuestText.Event(lifecycle),
        DomainAgentLifecycleEvent agent => $"guest agent {GuestText.Words(agent.State.ToString())}",
        _ => GuestText.Words(e.GetType().Name.Replace("Domain", "", StringComparison.Ordinal).Replace("Event", "", StringComparison.Ordinal)),
    };
}

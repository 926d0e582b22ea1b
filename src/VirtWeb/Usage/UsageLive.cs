using VirtWeb.Live;

namespace VirtWeb.Usage;

/// <summary>The host's latest usage, keyed like the host (<see cref="HostState.Key"/>).</summary>
public sealed record HostUsageState(HostUsage Usage) : ILiveItem
{
    public string Key => Usage.HostId.ToString();

    public Guid HostId => Usage.HostId;

    public string AccessPath => AccessPaths.Host(Usage.HostId);
}

/// <summary>
/// The latest usage of every running guest and connected host, as live collections pages subscribe to (kept apart
/// from <see cref="LiveStateStore.Guests"/>, so a sampling round never re-renders a page for a state that did not
/// change). A guest that stopped, or whose host went away, has no entry: "no number", never the last one seen.
/// </summary>
public sealed class UsageLive(TimeProvider timeProvider)
{
    public LiveCollection<GuestUsage> Guests { get; } = new(u => u.Key, LiveStateStore.BatchWindow, timeProvider);

    public LiveCollection<HostUsageState> Hosts { get; } = new(u => u.Key, LiveStateStore.BatchWindow, timeProvider);

    /// <summary>The host is gone (disconnected, removed): its numbers are no longer live.</summary>
    public void Forget(Guid hostId, long version)
    {
        Guests.Replace([], version, u => u.HostId == hostId);
        Hosts.Remove(hostId.ToString(), version, keepTombstone: false);
    }
}

/// <summary>
/// Which guests someone is looking at right now (a guest page open): those are sampled every 2 s instead of every 10 s.
/// </summary>
public sealed class UsageWatch
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(Guid HostId, Guid Uuid), int> _watchers = [];

    public IDisposable Watch(Guid hostId, Guid uuid)
    {
        lock (_lock)
        {
            _watchers[(hostId, uuid)] = _watchers.GetValueOrDefault((hostId, uuid)) + 1;
        }

        return new Watcher(this, hostId, uuid);
    }

    public IReadOnlyList<Guid> WatchedOn(Guid hostId)
    {
        lock (_lock)
        {
            return _watchers.Keys.Where(k => k.HostId == hostId).Select(k => k.Uuid).ToList();
        }
    }

    private void Unwatch(Guid hostId, Guid uuid)
    {
        lock (_lock)
        {
            if (_watchers.TryGetValue((hostId, uuid), out var count) && count > 1)
            {
                _watchers[(hostId, uuid)] = count - 1;
            }
            else
            {
                _watchers.Remove((hostId, uuid));
            }
        }
    }

    private sealed class Watcher(UsageWatch owner, Guid hostId, Guid uuid) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unwatch(hostId, uuid);
            }
        }
    }
}

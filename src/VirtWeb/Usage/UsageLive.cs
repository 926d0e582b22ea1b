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

    /// <summary>How many full rounds a guest's trail keeps: five minutes of 10 s rounds.</summary>
    public const int TrailLength = 30;

    // One trail per running guest for the whole app (not per page): 30 floats, 120 bytes, at 5,000 guests 600 KB.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, float[]> _trails = new(StringComparer.Ordinal);

    /// <summary>
    /// The guest's CPU % of the last full rounds, oldest first, NaN where a round had no number (the first, a counter
    /// reset); empty when the guest is not running. The array is never changed once handed out.
    /// </summary>
    public IReadOnlyList<float> Trail(string key) => _trails.TryGetValue(key, out var trail) ? trail : [];

    /// <summary>A host's full round: every guest in it gets one more point; a guest no longer running loses its trail.</summary>
    public void AppendTrails(Guid hostId, IReadOnlyList<GuestUsage> guests)
    {
        var seen = new HashSet<string>(guests.Count, StringComparer.Ordinal);
        foreach (var guest in guests)
        {
            seen.Add(guest.Key);
            var old = Trail(guest.Key);
            var length = Math.Min(TrailLength, old.Count + 1);
            var next = new float[length];
            for (var i = 0; i < length - 1; i++)
            {
                next[i] = old[old.Count - length + 1 + i];
            }

            next[^1] = guest.CpuPercent is { } cpu ? (float)cpu : float.NaN;
            _trails[guest.Key] = next;
        }

        DropTrails(hostId, seen);
    }

    /// <summary>The host is gone (disconnected, removed): its numbers are no longer live.</summary>
    public void Forget(Guid hostId, long version)
    {
        Guests.Replace([], version, u => u.HostId == hostId);
        Hosts.Remove(hostId.ToString(), version, keepTombstone: false);
        DropTrails(hostId, []);
    }

    private void DropTrails(Guid hostId, HashSet<string> keep)
    {
        var prefix = hostId.ToString();
        foreach (var key in _trails.Keys)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && !keep.Contains(key))
            {
                _trails.TryRemove(key, out _);
            }
        }
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

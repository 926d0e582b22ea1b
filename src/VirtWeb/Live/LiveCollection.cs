using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace VirtWeb.Live;

/// <summary>
/// A keyed, versioned set of live items (hosts, guests, pools) with one channel per subscriber.
/// Every write carries a version; a write older than what is stored is ignored, so a snapshot listed before an
/// event arrived can never overwrite that newer event. Removals leave a versioned tombstone for the same reason.
/// </summary>
public sealed partial class LiveCollection<TItem>(Func<TItem, string> keyOf, TimeSpan batchWindow, TimeProvider timeProvider)
    where TItem : class
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly List<Subscriber> _subscribers = [];
    private bool _applyingRemote;

    /// <summary>
    /// Hears every write this process makes (not those applied from another instance), under the collection's lock so
    /// in the order they were stored; the several-instances bus (<see cref="VirtWeb.Cluster.LiveBus"/>) publishes
    /// them. It must only queue: it runs inside every write.
    /// </summary>
    public Action<LiveWrite<TItem>>? Observer { get; set; }

    // Every key stored (tombstones too) has a slot number for as long as it is stored, so a filtered subscriber can
    // remember what it has seen as one bit per slot; a key removed for good frees its slot for the next new key.
    private readonly Stack<int> _freeSlots = new();
    private int _slots;

    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    public IReadOnlyList<TItem> Current(Func<TItem, bool>? filter = null)
    {
        lock (_lock)
        {
            return Live(filter).ToList();
        }
    }

    /// <summary>The version the item (or its removal) was stored with, or null when the key was never written.</summary>
    public long? VersionOf(string key)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out var entry) ? entry.Version : null;
        }
    }

    public TItem? Find(string key)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out var entry) ? entry.Item : null;
        }
    }

    /// <summary>
    /// Stores <paramref name="item"/> unless a newer version of it (or of its removal) is stored; subscribers hear of it
    /// when it differs from what was stored.
    /// </summary>
    public bool Upsert(TItem item, long version)
    {
        var key = keyOf(item);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing) && existing.Version > version)
            {
                return false;
            }

            // The same item again (the re-read after an event that was already patched in, mostly) outranks what came
            // before, but tells no page anything: it is stored without a change going out.
            if (existing?.Item is { } stored && stored.Equals(item))
            {
                _entries[key] = existing with { Version = version };
                return true;
            }

            var slot = existing?.Slot ?? NewSlot();
            _entries[key] = new Entry(item, version, slot);
            Observe(key, item, version, keepTombstone: true);
            Publish(new LiveChange<TItem>(LiveChangeKind.Upsert, key, item, version), slot);
            return true;
        }
    }

    /// <summary>
    /// Changes a stored item in place, atomically with other writes; <paramref name="update"/> returns null to leave it.
    /// The item keeps its version: a side fact (say, a guest's addresses) must not outrank a state read begun earlier.
    /// </summary>
    public bool Update(string key, Func<TItem, TItem?> update)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var existing) || existing.Item is null || update(existing.Item) is not { } updated)
            {
                return false;
            }

            _entries[key] = existing with { Item = updated };
            Observe(key, updated, existing.Version, keepTombstone: true);
            Publish(new LiveChange<TItem>(LiveChangeKind.Upsert, key, updated, existing.Version), existing.Slot);
            return true;
        }
    }

    /// <summary>
    /// Removes the item unless it was stored by a newer version than <paramref name="version"/>. The tombstone left
    /// behind stops an older listing from bringing the item back; where nothing can (an append-only feed trimming its
    /// window), pass <paramref name="keepTombstone"/> false so removed keys cost no memory.
    /// </summary>
    public bool Remove(string key, long version, bool keepTombstone = true)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing) && existing.Version > version)
            {
                return false;
            }

            var wasLive = existing?.Item is not null;
            Observe(key, null, version, keepTombstone);
            var slot = existing?.Slot ?? (keepTombstone ? NewSlot() : -1);
            if (keepTombstone)
            {
                _entries[key] = new Entry(null, version, slot);
            }
            else
            {
                _entries.Remove(key);
            }

            if (wasLive)
            {
                Publish(new LiveChange<TItem>(LiveChangeKind.Delete, key, null, version), slot);
            }

            // Only now that every subscriber has forgotten the key may another key take its slot.
            if (!keepTombstone && existing is not null)
            {
                _freeSlots.Push(slot);
            }

            return wasLive;
        }
    }

    /// <summary>
    /// A full resync of one scope (say, one host's guests): upserts <paramref name="items"/> and removes the items in
    /// that scope that the listing no longer has, except where an event newer than the listing already decided.
    /// </summary>
    public void Replace(IEnumerable<TItem> items, long version, Func<TItem, bool> inScope)
    {
        lock (_lock)
        {
            var listed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                listed.Add(keyOf(item));
                Upsert(item, version);
            }

            var gone = _entries
                .Where(e => e.Value.Item is { } item && inScope(item) && !listed.Contains(e.Key) && e.Value.Version <= version)
                .Select(e => e.Key)
                .ToList();
            foreach (var key in gone)
            {
                Remove(key, version);
            }
        }
    }

    /// <summary>
    /// The current items that pass <paramref name="filter"/> and every later change to them. An item that stops
    /// passing the filter arrives as a deletion; changes to items the subscriber never saw do not arrive at all.
    /// The stream ends when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public LiveSubscription<TItem> Subscribe(Func<TItem, bool>? filter = null, CancellationToken cancellationToken = default)
    {
        var subscriber = new Subscriber(filter, Channel.CreateUnbounded<LiveChange<TItem>>(new() { SingleReader = true }));
        lock (_lock)
        {
            var snapshot = new List<TItem>(_entries.Count);
            foreach (var entry in _entries.Values)
            {
                if (entry.Item is { } item && (filter?.Invoke(item) ?? true))
                {
                    snapshot.Add(item);
                    subscriber.Seen?.Add(entry.Slot);
                }
            }

            _subscribers.Add(subscriber);
            return new LiveSubscription<TItem>(snapshot, ReadBatchesAsync(subscriber, cancellationToken));
        }
    }

    /// <summary>
    /// Evaluates every filtered subscriber's filter again over all items, after what the filter depends on changed
    /// (a user's access grants): items that now pass arrive as upserts, items that no longer pass as deletions.
    /// </summary>
    public void Refilter()
    {
        lock (_lock)
        {
            foreach (var subscriber in _subscribers)
            {
                if (subscriber.Seen is not { } seen)
                {
                    continue;
                }

                foreach (var (key, entry) in _entries)
                {
                    var passes = entry.Item is not null && subscriber.Filter!(entry.Item);
                    if (passes && seen.Add(entry.Slot))
                    {
                        subscriber.Channel.Writer.TryWrite(new LiveChange<TItem>(LiveChangeKind.Upsert, key, entry.Item, entry.Version));
                    }
                    else if (!passes && seen.Remove(entry.Slot))
                    {
                        subscriber.Channel.Writer.TryWrite(new LiveChange<TItem>(LiveChangeKind.Delete, key, null, entry.Version));
                    }
                }
            }
        }
    }

    private void Observe(string key, TItem? item, long version, bool keepTombstone)
    {
        if (!_applyingRemote)
        {
            Observer?.Invoke(new LiveWrite<TItem>(key, item, version, keepTombstone));
        }
    }

    private IEnumerable<TItem> Live(Func<TItem, bool>? filter) =>
        _entries.Values.Select(e => e.Item).OfType<TItem>().Where(item => filter?.Invoke(item) ?? true);

    private int NewSlot() => _freeSlots.TryPop(out var slot) ? slot : _slots++;

    private void Publish(LiveChange<TItem> change, int slot)
    {
        foreach (var subscriber in _subscribers)
        {
            if (subscriber.Seen is not { } seen)
            {
                subscriber.Channel.Writer.TryWrite(change);
            }
            else if (change.Item is not null && subscriber.Filter!(change.Item))
            {
                seen.Add(slot);
                subscriber.Channel.Writer.TryWrite(change);
            }
            else if (seen.Remove(slot))
            {
                // Out of this subscriber's view now (deleted, or no longer passing its filter): gone, as far as it knows.
                subscriber.Channel.Writer.TryWrite(new LiveChange<TItem>(LiveChangeKind.Delete, change.Key, null, change.Version));
            }
        }
    }

    /// <summary>
    /// Leading edge, then coalescing: a change that finds the subscriber quiet (nothing sent within the window) goes out
    /// at once; what follows within the window waits for its end and goes out as one batch, with the latest change per
    /// key. A lone event costs no wait; a burst (a host resync, a bulk action) still becomes a few renders, not hundreds.
    /// </summary>
    private async IAsyncEnumerable<IReadOnlyList<LiveChange<TItem>>> ReadBatchesAsync(
        Subscriber subscriber, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = subscriber.Channel.Reader;
        long? lastSent = null;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                var rest = lastSent is { } sent ? batchWindow - timeProvider.GetElapsedTime(sent) : TimeSpan.Zero;
                if (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, timeProvider, cancellationToken);
                }

                var batch = Drain(reader);
                lastSent = timeProvider.GetTimestamp();
                yield return batch;
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(subscriber);
            }
        }
    }

    private static List<LiveChange<TItem>> Drain(ChannelReader<LiveChange<TItem>> reader)
    {
        var latestByKey = new Dictionary<string, LiveChange<TItem>>(StringComparer.Ordinal);
        var order = new List<string>();
        while (reader.TryRead(out var change))
        {
            if (latestByKey.TryAdd(change.Key, change))
            {
                order.Add(change.Key);
            }
            else
            {
                latestByKey[change.Key] = change;
            }
        }

        return order.ConvertAll(key => latestByKey[key]);
    }

    private sealed record Entry(TItem? Item, long Version, int Slot);

    /// <summary>
    /// <see cref="Seen"/> holds the slots of the keys a filtered subscriber currently has, so that it hears of other
    /// items' removals only when they were in its view: with 5,000 guests on other hosts, a page for one host would
    /// otherwise get a deletion for every change anywhere. One bit per stored key (625 bytes at 5,000 guests) where a
    /// set of the keys was about 100 KiB for every open page.
    /// </summary>
    private sealed record Subscriber(Func<TItem, bool>? Filter, Channel<LiveChange<TItem>> Channel)
    {
        public SlotSet? Seen { get; } = Filter is null ? null : new SlotSet();
    }
}

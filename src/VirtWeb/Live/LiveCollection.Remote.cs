namespace VirtWeb.Live;

/// <summary>The writes of another instance (the several-instances bus, <see cref="VirtWeb.Cluster.LiveBus"/>).</summary>
public sealed partial class LiveCollection<TItem>
    where TItem : class
{
    /// <summary>
    /// Applies a write another instance made (its owner's), by the same version rule as a local one, without
    /// <see cref="Observer"/> hearing of it: only an owner publishes.
    /// </summary>
    public bool ApplyRemote(string key, TItem? item, long version, bool keepTombstone)
    {
        lock (_lock)
        {
            _applyingRemote = true;
            try
            {
                return item is null ? Remove(key, version, keepTombstone) : Upsert(item, version);
            }
            finally
            {
                _applyingRemote = false;
            }
        }
    }

    /// <summary>
    /// Replaces everything under a key prefix (one host's items) with an owner's snapshot, whatever the versions held
    /// here: what this instance wrote while it owned the host, or kept while the bus was away, must not outrank it.
    /// </summary>
    public void ResetRemote(string keyPrefix, IReadOnlyCollection<(string Key, TItem? Item, long Version)> snapshot)
    {
        lock (_lock)
        {
            _applyingRemote = true;
            try
            {
                var listed = snapshot.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
                foreach (var key in _entries.Keys.Where(k => k.StartsWith(keyPrefix, StringComparison.Ordinal) && !listed.Contains(k)).ToList())
                {
                    var removed = _entries[key];
                    _entries.Remove(key);
                    if (removed.Item is not null)
                    {
                        Publish(new LiveChange<TItem>(LiveChangeKind.Delete, key, null, removed.Version), removed.Slot);
                    }

                    _freeSlots.Push(removed.Slot);
                }

                foreach (var (key, item, version) in snapshot)
                {
                    // Forced: drop what is held, then apply by the usual rule (which now always accepts).
                    if (_entries.TryGetValue(key, out var held) && held.Version > version)
                    {
                        _entries[key] = held with { Version = version };
                    }

                    if (item is null)
                    {
                        Remove(key, version);
                    }
                    else
                    {
                        Upsert(item, version);
                    }
                }
            }
            finally
            {
                _applyingRemote = false;
            }
        }
    }

    /// <summary>Every entry under a key prefix with its version, removals included: what an owner republishes.</summary>
    public IReadOnlyList<(string Key, TItem? Item, long Version)> Entries(string keyPrefix)
    {
        lock (_lock)
        {
            return _entries.Where(e => e.Key.StartsWith(keyPrefix, StringComparison.Ordinal))
                .Select(e => (e.Key, e.Value.Item, e.Value.Version)).ToList();
        }
    }
}

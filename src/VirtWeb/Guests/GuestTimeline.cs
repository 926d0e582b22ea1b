using System.Collections.Concurrent;

namespace VirtWeb.Guests;

public sealed record GuestTimelineEntry(DateTimeOffset At, string What);

/// <summary>
/// The events VirtWeb has seen per guest, newest last, kept in memory (a restart forgets them) and capped per guest
/// so a flapping guest cannot grow it without bound.
/// </summary>
public sealed class GuestTimeline(TimeProvider timeProvider)
{
    public const int MaxEntriesPerGuest = 200;

    private readonly ConcurrentDictionary<string, LinkedList<GuestTimelineEntry>> _entries = new(StringComparer.Ordinal);

    public event Action<string>? Changed;

    public void Add(string guestKey, string what)
    {
        var list = _entries.GetOrAdd(guestKey, _ => new LinkedList<GuestTimelineEntry>());
        lock (list)
        {
            list.AddLast(new GuestTimelineEntry(timeProvider.GetUtcNow(), what));
            while (list.Count > MaxEntriesPerGuest)
            {
                list.RemoveFirst();
            }
        }

        Changed?.Invoke(guestKey);
    }

    public IReadOnlyList<GuestTimelineEntry> For(string guestKey)
    {
        if (!_entries.TryGetValue(guestKey, out var list))
        {
            return [];
        }

        lock (list)
        {
            return list.ToList();
        }
    }

    /// <summary>Forgets the timelines of every guest of a removed host, deleted guests' included.</summary>
    public void ForgetHost(Guid hostId)
    {
        foreach (var key in _entries.Keys.Where(key => GuestState.IsKeyOn(key, hostId)).ToList())
        {
            _entries.TryRemove(key, out _);
        }
    }
}

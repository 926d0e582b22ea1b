namespace VirtWeb.Live;

public enum LiveChangeKind
{
    Upsert,
    Delete,
}

/// <summary>
/// One change to a live collection: the new state of an item, or its removal, with the version it was stored with
/// (never lower than the key's previous change: a client that sees it go down has lost order).
/// </summary>
public sealed record LiveChange<TItem>(LiveChangeKind Kind, string Key, TItem? Item, long Version)
    where TItem : class;

/// <summary>
/// What a page gets when it subscribes: the items as they are now, and every change after that moment, in batches.
/// Taking both under one lock is what lets a page never miss an event between loading and listening.
/// </summary>
public sealed record LiveSubscription<TItem>(
    IReadOnlyList<TItem> Snapshot,
    IAsyncEnumerable<IReadOnlyList<LiveChange<TItem>>> Changes)
    where TItem : class;

/// <summary>One write as it was stored: the item (null for a removal), its version, and whether a removal keeps a tombstone.</summary>
public sealed record LiveWrite<TItem>(string Key, TItem? Item, long Version, bool KeepTombstone)
    where TItem : class;

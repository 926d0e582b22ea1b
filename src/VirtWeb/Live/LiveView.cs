namespace VirtWeb.Live;

/// <summary>
/// A page's copy of a live collection: the snapshot, then every batch of changes applied by one watch loop.
/// Batches are applied on the page's dispatcher (<c>InvokeAsync</c>), so rendering never races the loop; the page
/// re-renders from <c>changed</c> and disposes the view, which cancels and awaits the loop.
/// The view holds its items as one exactly sized list, no index: a page open on 5,000 guests then keeps one reference
/// per guest rather than a dictionary entry (hash, link, key and item) and its buckets. Lookups by key go to the
/// collection's own index, through the same filter.
/// </summary>
public sealed class LiveView<TItem> : IAsyncDisposable
    where TItem : class
{
    /// <summary>Batches larger than this find their keys through an index made for the batch; smaller ones scan.</summary>
    private const int ScannedChanges = 8;

    private readonly List<TItem> _items;
    private readonly LiveCollection<TItem> _source;
    private readonly Func<TItem, string> _keyOf;
    private readonly Func<TItem, bool>? _filter;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly Task _watch;

    public LiveView(
        LiveCollection<TItem> source,
        Func<TItem, string> keyOf,
        Func<Action, Task> invokeAsync,
        Action<IReadOnlyList<LiveChange<TItem>>> changed,
        Func<TItem, bool>? filter = null)
    {
        var subscription = source.Subscribe(filter, _cancellation.Token);
        (_source, _keyOf, _filter) = (source, keyOf, filter);
        _items = new List<TItem>(subscription.Snapshot.Count);
        _items.AddRange(subscription.Snapshot);
        // The loop gets the change stream alone: holding the subscription would keep its snapshot list alive for the
        // page's life, one more copy of every item's reference per page.
        _watch = WatchAsync(subscription.Changes, invokeAsync, changed);
    }

    public IReadOnlyCollection<TItem> Items => _items;

    /// <summary>The item as the collection has it now (never older than this view's), if it passes the view's filter.</summary>
    public TItem? Find(string key) => _source.Find(key) is { } item && (_filter?.Invoke(item) ?? true) ? item : null;

    private async Task WatchAsync(
        IAsyncEnumerable<IReadOnlyList<LiveChange<TItem>>> changes,
        Func<Action, Task> invokeAsync,
        Action<IReadOnlyList<LiveChange<TItem>>> changed)
    {
        try
        {
            await foreach (var batch in changes.WithCancellation(_cancellation.Token))
            {
                await invokeAsync(() =>
                {
                    Apply(batch);
                    changed(batch);
                });
            }
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
        }
    }

    private void Apply(IReadOnlyList<LiveChange<TItem>> batch)
    {
        // A batch holds each key once (the collection keeps the latest change per key), so a removed slot is never
        // looked up again within it.
        var index = batch.Count > ScannedChanges ? IndexItems() : null;
        var (removed, added) = (false, false);
        foreach (var change in batch)
        {
            var at = index is null ? IndexOf(change.Key) : index.GetValueOrDefault(change.Key, -1);
            if (change.Kind == LiveChangeKind.Upsert && change.Item is { } item)
            {
                if (at >= 0)
                {
                    _items[at] = item;
                }
                else
                {
                    _items.Add(item);
                    added = true;
                }
            }
            else if (at >= 0)
            {
                _items[at] = null!;
                removed = true;
            }
        }

        if (removed)
        {
            _items.RemoveAll(item => item is null);
        }

        if (added || removed)
        {
            // Back to its exact size: an added item would otherwise double the list for as long as the page is open.
            _items.Capacity = _items.Count;
        }
    }

    private int IndexOf(string key)
    {
        for (var i = 0; i < _items.Count; i++)
        {
            if (_items[i] is { } item && _keyOf(item) == key)
            {
                return i;
            }
        }

        return -1;
    }

    private Dictionary<string, int> IndexItems()
    {
        var index = new Dictionary<string, int>(_items.Count, StringComparer.Ordinal);
        for (var i = 0; i < _items.Count; i++)
        {
            index[_keyOf(_items[i])] = i;
        }

        return index;
    }

    public async ValueTask DisposeAsync()
    {
        await _cancellation.CancelAsync();
        await _watch;
        _cancellation.Dispose();
    }
}

namespace VirtWeb.Live;

/// <summary>
/// A page's copy of a live collection: the snapshot, then every batch of changes applied by one watch loop.
/// Batches are applied on the page's dispatcher (<c>InvokeAsync</c>), so rendering never races the loop; the page
/// re-renders from <c>changed</c> and disposes the view, which cancels and awaits the loop.
/// </summary>
public sealed class LiveView<TItem> : IAsyncDisposable
    where TItem : class
{
    private readonly Dictionary<string, TItem> _items;
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
        _items = subscription.Snapshot.ToDictionary(keyOf, StringComparer.Ordinal);
        // The loop gets the change stream alone: holding the subscription would keep its snapshot list alive for the
        // page's life, one more copy of every item's reference per page.
        _watch = WatchAsync(subscription.Changes, invokeAsync, changed);
    }

    public IReadOnlyCollection<TItem> Items => _items.Values;

    public TItem? Find(string key) => _items.GetValueOrDefault(key);

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
        foreach (var change in batch)
        {
            if (change.Kind == LiveChangeKind.Upsert && change.Item is not null)
            {
                _items[change.Key] = change.Item;
            }
            else
            {
                _items.Remove(change.Key);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cancellation.CancelAsync();
        await _watch;
        _cancellation.Dispose();
    }
}

using System.Threading.Channels;

namespace VirtWeb.Api.Events;

/// <summary>One live change as <c>/api/v1/events</c> sends it: its id, "host" or "guest", "upsert" or "delete", and where it belongs.</summary>
public sealed record ApiEvent(long Id, string Type, string Kind, string Key, object? Item, Guid HostId, string AccessPath);

/// <summary>What a listener gets: the changes after the id it had (or null when that id left the window) and every later one.</summary>
public sealed record ApiEventSubscription(IReadOnlyList<ApiEvent>? Missed, long LastId, ChannelReader<ApiEvent> Changes, IDisposable Registration);

/// <summary>
/// The same batched host and guest changes the hub carries, numbered in order and kept for a bounded window of the
/// newest <see cref="WindowSize"/>, so that a client that lost its connection resumes with Last-Event-ID without
/// missing one. Unfiltered here; each stream filters by its caller's rights as it sends.
/// </summary>
public sealed class ApiEventFeed(LiveStateStore store, ILogger<ApiEventFeed> logger) : BackgroundService
{
    public const int WindowSize = 10_000;

    private readonly Lock _lock = new();
    private readonly Queue<ApiEvent> _window = new();
    private readonly List<Channel<ApiEvent>> _listeners = [];
    private long _lastId;

    public ApiEventSubscription Subscribe(long? lastEventId)
    {
        var channel = Channel.CreateUnbounded<ApiEvent>(new() { SingleReader = true });
        lock (_lock)
        {
            IReadOnlyList<ApiEvent>? missed = null;
            if (lastEventId is { } last && last <= _lastId)
            {
                var oldest = _window.TryPeek(out var first) ? first.Id : _lastId + 1;
                // Resumable when nothing after `last` has left the window.
                missed = last + 1 >= oldest ? _window.Where(e => e.Id > last).ToList() : null;
            }

            _listeners.Add(channel);
            return new ApiEventSubscription(missed, _lastId, channel.Reader, new Registration(this, channel));
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ForwardAsync(store.Hosts, "host", stoppingToken), ForwardAsync(store.Guests, "guest", stoppingToken));

    private async Task ForwardAsync<TItem>(LiveCollection<TItem> collection, string type, CancellationToken stoppingToken)
        where TItem : class, ILiveItem
    {
        var subscription = collection.Subscribe(cancellationToken: stoppingToken);
        // A deletion carries only its key; the item as last seen says which host and path it had.
        var known = subscription.Snapshot.ToDictionary(item => item.Key, StringComparer.Ordinal);
        try
        {
            await foreach (var batch in subscription.Changes.WithCancellation(stoppingToken))
            {
                lock (_lock)
                {
                    foreach (var change in batch)
                    {
                        var located = change.Item ?? (known.Remove(change.Key, out var last) ? last : null);
                        if (located is null)
                        {
                            continue;
                        }

                        if (change.Item is not null)
                        {
                            known[change.Key] = change.Item;
                        }

                        Append(new ApiEvent(++_lastId, type, change.Kind == LiveChangeKind.Upsert ? "upsert" : "delete", change.Key, change.Item, located.HostId, located.AccessPath));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "The API's event feed of {Type} changes stopped.", type);
            throw;
        }
    }

    private void Append(ApiEvent change)
    {
        _window.Enqueue(change);
        while (_window.Count > WindowSize)
        {
            _window.Dequeue();
        }

        foreach (var listener in _listeners)
        {
            listener.Writer.TryWrite(change);
        }
    }

    private sealed class Registration(ApiEventFeed feed, Channel<ApiEvent> channel) : IDisposable
    {
        public void Dispose()
        {
            lock (feed._lock)
            {
                feed._listeners.Remove(channel);
            }

            channel.Writer.TryComplete();
        }
    }
}

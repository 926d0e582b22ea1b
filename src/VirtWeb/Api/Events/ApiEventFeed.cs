using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace VirtWeb.Api.Events;

/// <summary>One live change as <c>/api/v1/events</c> sends it: its id, "host" or "guest", "upsert" or "delete", and where it belongs.</summary>
public sealed record ApiEvent(long Id, string Type, string Kind, string Key, object? Item, Guid HostId, string AccessPath);

/// <summary>
/// What a listener gets: the changes after the id it had (or null when it cannot resume) and every later one;
/// <see cref="Resync"/> says why a Last-Event-ID it sent could not be resumed from.
/// </summary>
public sealed record ApiEventSubscription(IReadOnlyList<ApiEvent>? Missed, long LastId, string? Resync, ChannelReader<ApiEvent> Changes, IDisposable Registration);

/// <summary>
/// The same batched host and guest changes the hub carries, numbered in order and kept for a bounded window of the
/// newest <see cref="WindowSize"/>, so that a client that lost its connection resumes with Last-Event-ID without
/// missing one. Unfiltered here; each stream filters by its caller's rights as it sends. An id on the wire is
/// "{epoch}-{number}": the epoch is drawn when the feed starts, so an id from before a restart, or from another
/// instance or installation, is told apart from one of this feed and answered with a resync instead of a silent gap.
/// </summary>
public sealed class ApiEventFeed(LiveStateStore store, ILogger<ApiEventFeed> logger) : BackgroundService
{
    public const int WindowSize = 10_000;

    private readonly Lock _lock = new();
    private readonly Queue<ApiEvent> _window = new();
    private readonly List<Channel<ApiEvent>> _listeners = [];
    private long _lastId;

    /// <summary>This feed's epoch: 16 random hex digits, new at every start of the app.</summary>
    public string Epoch { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The id of event <paramref name="number"/> as the stream sends it.</summary>
    public string IdOf(long number) => string.Create(CultureInfo.InvariantCulture, $"{Epoch}-{number}");

    public ApiEventSubscription Subscribe(string? lastEventId)
    {
        var channel = Channel.CreateUnbounded<ApiEvent>(new() { SingleReader = true });
        lock (_lock)
        {
            IReadOnlyList<ApiEvent>? missed = null;
            string? resync = null;
            if (lastEventId is not null)
            {
                var dash = lastEventId.LastIndexOf('-');
                var ours = dash > 0 && lastEventId[..dash] == Epoch;
                if (!ours || !long.TryParse(lastEventId[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last) || last > _lastId)
                {
                    resync = $"Last-Event-ID {lastEventId} is not from this run of VirtWeb (it restarted since, or the id comes from another instance or installation): the changes since cannot be replayed, so this snapshot replaces what you had.";
                }
                else
                {
                    var oldest = _window.TryPeek(out var first) ? first.Id : _lastId + 1;
                    // Resumable when nothing after `last` has left the window.
                    missed = last + 1 >= oldest ? _window.Where(e => e.Id > last).ToList() : null;
                    resync = missed is null
                        ? $"Last-Event-ID {lastEventId} is older than the {WindowSize} changes kept: this snapshot replaces what you had."
                        : null;
                }
            }

            _listeners.Add(channel);
            return new ApiEventSubscription(missed, _lastId, resync, channel.Reader, new Registration(this, channel));
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

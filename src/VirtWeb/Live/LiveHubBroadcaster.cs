using Microsoft.AspNetCore.SignalR;

namespace VirtWeb.Live;

/// <summary>
/// Forwards the live store's batched changes to each host's hub group, for as long as the app runs. Where some watchers
/// may not see some of a batch (a grant narrows them), those watchers get their own filtered copy instead.
/// </summary>
public sealed class LiveHubBroadcaster(
    LiveStateStore store, AccessControl access, LiveHubWatchers watchers, IHubContext<LiveHub> hub, ILogger<LiveHubBroadcaster> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            ForwardAsync(store.Guests, "GuestChanges", (user, path) => access.Allows(user, path, Permission.View), stoppingToken),
            ForwardAsync(store.Hosts, "HostChanges", access.MaySeeAnythingUnder, stoppingToken));

    private async Task ForwardAsync<TItem>(
        LiveCollection<TItem> collection, string method, Func<ClaimsPrincipal, string, bool> maySee, CancellationToken stoppingToken)
        where TItem : class, ILiveItem
    {
        var subscription = collection.Subscribe(cancellationToken: stoppingToken);
        // A deletion carries only its key; the item as this loop last saw it says which host and path it had.
        var known = subscription.Snapshot.ToDictionary(item => item.Key, StringComparer.Ordinal);
        try
        {
            await foreach (var batch in subscription.Changes.WithCancellation(stoppingToken))
            {
                var located = new List<Located<TItem>>(batch.Count);
                foreach (var change in batch)
                {
                    if (change.Item is { } item)
                    {
                        known[change.Key] = item;
                        located.Add(new(change, item));
                    }
                    else if (known.Remove(change.Key, out var last))
                    {
                        located.Add(new(change, last));
                    }
                }

                foreach (var group in located.GroupBy(l => l.Item.HostId))
                {
                    try
                    {
                        await SendAsync(group.Key, group.ToList(), method, maySee, stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        logger.LogWarning(e, "Sending {Method} to host group {Host} failed.", method, group.Key);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync<TItem>(
        Guid hostId, IReadOnlyList<Located<TItem>> changes, string method, Func<ClaimsPrincipal, string, bool> maySee, CancellationToken stoppingToken)
        where TItem : class, ILiveItem
    {
        var narrowed = new List<string>();
        foreach (var (connectionId, user) in watchers.Of(hostId))
        {
            var visible = changes.Where(c => maySee(user, c.Item.AccessPath)).ToList();
            if (visible.Count == changes.Count)
            {
                continue;
            }

            narrowed.Add(connectionId);
            if (visible.Count > 0)
            {
                await hub.Clients.Client(connectionId).SendAsync(method, ToHub(visible), stoppingToken);
            }
        }

        await hub.Clients.GroupExcept(LiveHub.GroupOf(hostId), narrowed).SendAsync(method, ToHub(changes), stoppingToken);
    }

    private static List<LiveHubChange<TItem>> ToHub<TItem>(IEnumerable<Located<TItem>> changes)
        where TItem : class, ILiveItem =>
        changes.Select(l => new LiveHubChange<TItem>(l.Change.Kind == LiveChangeKind.Upsert ? "upsert" : "delete", l.Change.Key, l.Change.Item, l.Change.Version)).ToList();

    /// <summary>A change with the item that says where it belongs: the new one, or for a deletion the last one seen.</summary>
    private sealed record Located<TItem>(LiveChange<TItem> Change, TItem Item)
        where TItem : class, ILiveItem;
}

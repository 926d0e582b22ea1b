using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using VirtWeb.Access;

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
        where TItem : class
    {
        var subscription = collection.Subscribe(cancellationToken: stoppingToken);
        try
        {
            await foreach (var batch in subscription.Changes.WithCancellation(stoppingToken))
            {
                foreach (var group in batch.GroupBy(c => HostOf(c.Key)))
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
        Guid hostId, IReadOnlyList<LiveChange<TItem>> changes, string method, Func<ClaimsPrincipal, string, bool> maySee, CancellationToken stoppingToken)
        where TItem : class
    {
        var narrowed = new List<string>();
        // Each change's path once per batch, not once per watcher.
        var paths = changes.Select(c => (Change: c, Path: PathOf(c.Key))).ToList();
        foreach (var (connectionId, user) in watchers.Of(hostId))
        {
            var visible = paths.Where(p => maySee(user, p.Path)).Select(p => p.Change).ToList();
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

    private static List<LiveHubChange<TItem>> ToHub<TItem>(IEnumerable<LiveChange<TItem>> changes)
        where TItem : class =>
        changes.Select(c => new LiveHubChange<TItem>(c.Kind == LiveChangeKind.Upsert ? "upsert" : "delete", c.Key, c.Item)).ToList();

    // Keys are "{host}" for hosts and "{host}/{uuid}" for guests.
    private static Guid HostOf(string key) => Guid.Parse(key.AsSpan(0, 36));

    private static string PathOf(string key) =>
        key.Length > 37 ? AccessPaths.Guest(HostOf(key), Guid.Parse(key.AsSpan(37))) : AccessPaths.Host(HostOf(key));
}

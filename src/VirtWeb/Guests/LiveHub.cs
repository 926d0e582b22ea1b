using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using VirtWeb.Hosts;
using VirtWeb.Live;

namespace VirtWeb.Guests;

/// <summary>One change as the hub sends it: "upsert" with the item, or "delete" with only the key.</summary>
public sealed record LiveHubChange<TItem>(string Kind, string Key, TItem? Item)
    where TItem : class;

/// <summary>What <see cref="LiveHub.WatchHost"/> returns: the host and its guests now; changes follow on the group.</summary>
public sealed record LiveHostSnapshot(HostState Host, IReadOnlyList<GuestState> Guests);

/// <summary>
/// <c>/hubs/live</c>: live host and guest changes for the console page and non-Blazor clients. A client joins a host's
/// group by calling <see cref="WatchHost"/>, which returns the snapshot; changes then arrive as "GuestChanges" and
/// "HostChanges". Signed-in users only, like the pages; every role may read every host until per-object grants land,
/// and <see cref="MaySee"/> is where they will narrow it.
/// </summary>
[Authorize]
public sealed class LiveHub(LiveStateStore store) : Hub
{
    public const string Path = "/hubs/live";

    public static string GroupOf(Guid hostId) => $"host:{hostId}";

    public async Task<LiveHostSnapshot> WatchHost(Guid hostId)
    {
        if (!MaySee(hostId) || store.Hosts.Find(hostId.ToString()) is not { } host)
        {
            throw new HubException("This host does not exist, or you may not see it.");
        }

        // Join first, then read: a change in between arrives twice (harmless) rather than never.
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(hostId));
        return new LiveHostSnapshot(host, store.Guests.Current(g => g.HostId == hostId));
    }

    public Task UnwatchHost(Guid hostId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(hostId));

    private bool MaySee(Guid hostId) => Context.User?.Identity?.IsAuthenticated == true && hostId != Guid.Empty;
}

/// <summary>Forwards the live store's batched changes to each host's hub group, for as long as the app runs.</summary>
public sealed class LiveHubBroadcaster(LiveStateStore store, IHubContext<LiveHub> hub, ILogger<LiveHubBroadcaster> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            ForwardAsync(store.Guests, "GuestChanges", key => key[..key.IndexOf('/', StringComparison.Ordinal)], stoppingToken),
            ForwardAsync(store.Hosts, "HostChanges", key => key, stoppingToken));

    private async Task ForwardAsync<TItem>(LiveCollection<TItem> collection, string method, Func<string, string> hostOf, CancellationToken stoppingToken)
        where TItem : class
    {
        var subscription = collection.Subscribe(cancellationToken: stoppingToken);
        try
        {
            await foreach (var batch in subscription.Changes.WithCancellation(stoppingToken))
            {
                foreach (var group in batch.GroupBy(c => hostOf(c.Key)))
                {
                    var changes = group.Select(c => new LiveHubChange<TItem>(c.Kind == LiveChangeKind.Upsert ? "upsert" : "delete", c.Key, c.Item)).ToList();
                    try
                    {
                        await hub.Clients.Group($"host:{group.Key}").SendAsync(method, changes, stoppingToken);
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
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace VirtWeb.Live;

/// <summary>
/// One change as the hub sends it: "upsert" with the item, or "delete" with only the key; <see cref="Version"/> never goes
/// down for a key, so a client can tell a change that arrives twice (the snapshot race in <see cref="LiveHub.WatchHost"/>).
/// </summary>
public sealed record LiveHubChange<TItem>(string Kind, string Key, TItem? Item, long Version)
    where TItem : class;

/// <summary>What <see cref="LiveHub.WatchHost"/> returns: the host and its guests now; changes follow on the group.</summary>
public sealed record LiveHostSnapshot(HostState Host, IReadOnlyList<GuestState> Guests);

/// <summary>
/// <c>/hubs/live</c>: live host and guest changes for the console page and non-Blazor clients. A client joins a host's
/// group by calling <see cref="WatchHost"/>, which returns the snapshot; changes then arrive as "GuestChanges" and
/// "HostChanges", each filtered to what that user may see (<see cref="AccessControl"/>, the same rules as the pages).
/// </summary>
[Authorize]
public sealed class LiveHub(LiveStateStore store, AccessControl access, LiveHubWatchers watchers) : Hub
{
    public const string Path = "/hubs/live";

    public static string GroupOf(Guid hostId) => $"host:{hostId}";

    public async Task<LiveHostSnapshot> WatchHost(Guid hostId)
    {
        var user = Context.User ?? new ClaimsPrincipal();
        if (!access.MaySeeAnythingUnder(user, AccessPaths.Host(hostId)) || store.Hosts.Find(hostId.ToString()) is not { } host)
        {
            throw new HubException("This host does not exist, or you may not see it.");
        }

        // Join first, then read: a change in between arrives twice (harmless) rather than never.
        watchers.Add(hostId, Context.ConnectionId, user);
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(hostId));
        return new LiveHostSnapshot(host, store.Guests.Current(g => g.HostId == hostId && access.Allows(user, g.AccessPath, Permission.View)));
    }

    public async Task UnwatchHost(Guid hostId)
    {
        watchers.Remove(hostId, Context.ConnectionId);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(hostId));
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        watchers.RemoveConnection(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>Who watches which host on the hub, with the user each connection signed in as.</summary>
public sealed class LiveHubWatchers
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, ClaimsPrincipal>> _byHost = new();

    public void Add(Guid hostId, string connectionId, ClaimsPrincipal user) =>
        _byHost.GetOrAdd(hostId, _ => new(StringComparer.Ordinal))[connectionId] = user;

    public void Remove(Guid hostId, string connectionId)
    {
        if (_byHost.TryGetValue(hostId, out var connections))
        {
            connections.TryRemove(connectionId, out _);
        }
    }

    public void RemoveConnection(string connectionId)
    {
        foreach (var connections in _byHost.Values)
        {
            connections.TryRemove(connectionId, out _);
        }
    }

    public IReadOnlyList<KeyValuePair<string, ClaimsPrincipal>> Of(Guid hostId) =>
        _byHost.TryGetValue(hostId, out var connections) ? connections.ToList() : [];
}

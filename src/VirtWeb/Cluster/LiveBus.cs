using System.Collections.Concurrent;
using System.Threading.Channels;
using StackExchange.Redis;

namespace VirtWeb.Cluster;

/// <summary>
/// Live state on every instance. The owner of a host publishes each write its <see cref="LiveStateStore"/> makes for
/// that host; every other instance applies them to its own store, so pages and the hub anywhere see every host.
/// <para>
/// In Redis, per host: a hash <c>{prefix}:live:{host}:state</c> holding the latest write of every item (its version
/// and JSON, or a tombstone) and a stream <c>{prefix}:live:{host}:changes</c> of every write in order. The owner
/// writes the hash before appending to the stream, over one connection, so Redis applies them in that order.
/// </para>
/// <para>
/// No gap between snapshot and stream: a follower reads the stream's last id L first, then the hash, then every
/// entry after L. A write appended after L is in the stream after L; a write at or before L was in the hash before
/// L was read. A write both in the hash and after L is applied twice, which the store's version rule makes
/// harmless (an older version is refused; an entry at the same version is the same write), and the stream replays
/// writes in order, so the last one read is the latest.
/// </para>
/// <para>
/// Versions stay monotonic for followers across a change of owner because the new owner's start above the old
/// owner's (<see cref="LeaseOwnership"/>), and a follower's store never takes a version below the one it holds.
/// </para>
/// A pub/sub message per host wakes the followers at once; a poll every <see cref="PollInterval"/> catches whatever a
/// lost message or a reconnection would have missed.
/// </summary>
public sealed partial class LiveBus(
    IConnectionMultiplexer redis,
    LiveStateStore store,
    IHostOwnership ownership,
    HostConnections connections,
    ClusterOptions options,
    ILogger<LiveBus> logger) : IHostedService, IClusterBus, IAsyncDisposable
{
    /// <summary>How often a follower looks for new hosts and reads every stream, whatever the wake-ups said.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Stream entries kept per host; a follower further behind than this starts again from the snapshot.</summary>
    public const int StreamLength = 100_000;

    private const int BatchSize = 512;

    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new() { SingleReader = true });
    private readonly Channel<Guid> _wake = Channel.CreateUnbounded<Guid>();
    private readonly ConcurrentDictionary<Guid, Follow> _following = new();
    private readonly CancellationTokenSource _stop = new();
    private IReadOnlyDictionary<string, IReplica> _replicas = new Dictionary<string, IReplica>();
    private Task _loops = Task.CompletedTask;
    private volatile bool _republish;
    private int _stopped;

    private sealed record Outgoing(Guid HostId, IReplica Replica, string Key, object? Item, long Version, bool KeepTombstone);

    /// <summary>Where a follower is in one host's stream; null until it has read the snapshot.</summary>
    private sealed class Follow
    {
        public RedisValue? LastId { get; set; }
    }

    private RedisKey StateKey(Guid hostId) => $"{options.RedisPrefix}:live:{hostId}:state";

    private RedisKey StreamKey(Guid hostId) => $"{options.RedisPrefix}:live:{hostId}:changes";

    private RedisKey HostsKey => $"{options.RedisPrefix}:live:hosts";

    private RedisChannel WakeChannel => RedisChannel.Literal($"{options.RedisPrefix}:live:wake");

    /// <summary>Whether this instance follows the host from the bus now (it neither owns it nor is still stopping it).</summary>
    public bool Follows(Guid hostId) => _following.TryGetValue(hostId, out var follow) && follow.LastId is not null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _replicas = new IReplica[]
        {
            new Replica<HostState>("hosts", store.Hosts),
            new Replica<VirtWeb.Images.PoolState>("pools", store.Pools),
            new Replica<VirtWeb.Images.VolumeState>("volumes", store.Volumes),
            new Replica<VirtWeb.Guests.GuestState>("guests", store.Guests),
            new Replica<VirtWeb.Networks.NetworkState>("networks", store.Networks),
            new Replica<VirtWeb.Networks.GuestNicState>("nics", store.Nics),
            new Replica<VirtWeb.Networks.LeaseState>("leases", store.Leases),
        }.ToDictionary(r => r.Name, StringComparer.Ordinal);
        foreach (var replica in _replicas.Values)
        {
            replica.Observe(write =>
            {
                // Only the owner speaks for a host; what a follower applies never reaches here.
                if (TryHostOf(write.Key, out var hostId) && ownership.Owns(hostId))
                {
                    _outgoing.Writer.TryWrite(new Outgoing(hostId, replica, write.Key, write.Item, write.Version, write.KeepTombstone));
                }
            });
        }

        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            var subscriber = redis.GetSubscriber();
            await subscriber.SubscribeAsync(WakeChannel, (_, message) =>
            {
                if (Guid.TryParse(message.ToString(), out var hostId))
                {
                    _wake.Writer.TryWrite(hostId);
                }
            });
        }
        catch (RedisException e)
        {
            // Redis may be down at start: the poll follows the streams until the subscription comes back with it.
            logger.LogWarning(e, "The live-state bus could not subscribe to Redis; instances follow each other by polling until it answers.");
        }

        _loops = Task.WhenAll(
            Task.Run(() => PublishLoopAsync(_stop.Token), CancellationToken.None),
            Task.Run(() => FollowLoopAsync(_stop.Token), CancellationToken.None));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Resolved as itself, as the bus and as a hosted service: stopped (and disposed) through each of them.
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        foreach (var replica in _replicas.Values)
        {
            replica.Observe(null);
        }

        redis.ConnectionRestored -= OnConnectionRestored;
        _outgoing.Writer.TryComplete();
        await _stop.CancelAsync();
        await _loops.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // Writes made while Redis was away never reached it: the owner writes its hosts again, whole, and every
        // follower starts its hosts again from the snapshot.
        _republish = true;
        foreach (var follow in _following.Values)
        {
            follow.LastId = null;
        }
    }

    private static bool TryHostOf(string key, out Guid hostId) =>
        Guid.TryParse(key.AsSpan(0, Math.Min(key.Length, 36)), out hostId);
}

using System.Runtime.CompilerServices;
using System.Threading.Channels;
using VirtWeb.Guests;
using VirtWeb.Hosts;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.Snapshots;

/// <summary>
/// The snapshot trees pages are looking at, delivered live. libvirt has no snapshot events, so a tree is read again
/// after every snapshot action (<see cref="RefreshAsync"/>) and whenever the guest's live state changes (a revert or a
/// snapshot pauses, stops or starts the guest, and <see cref="GuestWatcher"/> writes that to the store). One read per
/// change serves every page watching that guest; each page has a channel of its own.
/// </summary>
public sealed class SnapshotTrees
{
    private readonly IHostConnections _hostConnections;
    private readonly LiveStateStore _store;
    private readonly SnapshotRepairs _repairs;
    private readonly ILogger<SnapshotTrees> _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Watched> _watched = new(StringComparer.Ordinal);

    public SnapshotTrees(IHostConnections hostConnections, LiveStateStore store, SnapshotRepairs repairs, ILogger<SnapshotTrees> logger)
    {
        (_hostConnections, _store, _repairs, _logger) = (hostConnections, store, repairs, logger);
        // A repair after a reconnection runs outside any page's action: the pages learn of it here.
        repairs.Repaired += (hostId, uuid) => _ = RefreshAsync(hostId, uuid);
    }

    /// <summary>The guest's tree as libvirt has it now, with the leftovers beside its disks and the repairs done on it.</summary>
    internal SnapshotTree ReadNow(Guid hostId, LibvirtDomain domain)
    {
        var tree = SnapshotLeftovers.With(SnapshotReader.Read(hostId, domain), _store, SnapshotLeftovers.DiskPaths(domain));
        return tree with { Repairs = _repairs.NotesOf(tree.GuestKey) };
    }

    /// <summary>The tree as it is now, then every new one, until <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<SnapshotTree> WatchAsync(Guid hostId, Guid uuid, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var key = GuestState.KeyOf(hostId, uuid);
        var channel = Channel.CreateBounded<SnapshotTree>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        Watched watched;
        lock (_lock)
        {
            if (!_watched.TryGetValue(key, out watched!))
            {
                watched = new Watched(hostId, uuid);
                _watched[key] = watched;
                watched.Follow = FollowGuestAsync(watched);
            }

            watched.Subscribers.Add(channel);
        }

        try
        {
            // Only the newest tree matters: a slow page skips the ones in between.
            channel.Writer.TryWrite(watched.Latest ?? await ReadAsync(hostId, uuid) ?? SnapshotTree.Empty(hostId, uuid));
            await foreach (var tree in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return tree;
            }
        }
        finally
        {
            lock (_lock)
            {
                watched.Subscribers.Remove(channel);
                if (watched.Subscribers.Count == 0)
                {
                    _watched.Remove(key);
                    watched.Stop.Cancel();
                }
            }
        }
    }

    /// <summary>Reads the guest's tree from libvirt and hands it to every page watching it; returns it (null when the host or guest is gone).</summary>
    public async Task<SnapshotTree?> RefreshAsync(Guid hostId, Guid uuid)
    {
        var tree = await ReadAsync(hostId, uuid);
        if (tree is not null)
        {
            Publish(tree);
        }

        return tree;
    }

    private void Publish(SnapshotTree tree)
    {
        lock (_lock)
        {
            if (_watched.TryGetValue(tree.GuestKey, out var watched))
            {
                watched.Latest = tree;
                foreach (var subscriber in watched.Subscribers)
                {
                    subscriber.Writer.TryWrite(tree);
                }
            }
        }
    }

    private Task<SnapshotTree?> ReadAsync(Guid hostId, Guid uuid) => Task.Run(() =>
    {
        try
        {
            var connection = _hostConnections.GetConnection(hostId);
            using var domain = connection.GetDomainByUuid(uuid);
            return ReadNow(hostId, domain);
        }
        catch (Exception e) when (e is LibvirtException or HostUnavailableException or ObjectDisposedException)
        {
            // ObjectDisposedException: the host's connection was given up between taking it and reading.
            _logger.LogDebug(e, "Could not read the snapshots of {Guest} on {Host}.", uuid, hostId);
            return null;
        }
    });

    private async Task FollowGuestAsync(Watched watched)
    {
        // Let the subscriber that made this entry finish registering before the first change can arrive.
        await Task.Yield();
        var key = GuestState.KeyOf(watched.HostId, watched.Uuid);
        try
        {
            var subscription = _store.Guests.Subscribe(g => g.Key == key, watched.Stop.Token);
            await foreach (var _ in subscription.Changes)
            {
                await RefreshAsync(watched.HostId, watched.Uuid);
            }
        }
        catch (OperationCanceledException)
        {
            // The last page watching this guest left.
        }
    }

    private sealed class Watched(Guid hostId, Guid uuid)
    {
        public Guid HostId => hostId;

        public Guid Uuid => uuid;

        public List<Channel<SnapshotTree>> Subscribers { get; } = [];

        public CancellationTokenSource Stop { get; } = new();

        public SnapshotTree? Latest { get; set; }

        public Task? Follow { get; set; }
    }
}

using System.Threading.Channels;

namespace VirtWeb.Images;

/// <summary>
/// Keeps every host's storage pools and volumes in the live Store. Pool lifecycle and refresh events are hints to
/// re-read that pool; a guest defined or undefined re-reads the host, since it changes who uses which volume. libvirt
/// has no volume events, so the pool and volume services re-read a pool themselves after changing it.
/// </summary>
/// <remarks>Re-reads of one host run one at a time, in version order (see <see cref="HostReadGate"/>).</remarks>
public sealed class StorageWatcher(LiveStateStore store, StorageRoots roots, ILogger<StorageWatcher> logger)
    : GatedHostWatcher(store, logger, "storage")
{
    // A pool read again this many times when it keeps changing under the listing (stopped, undefined, volume deleted).
    private const int ReadAttempts = 3;

    public override IEnumerable<IDisposable> Subscribe(LibvirtConnection connection, ChannelWriter<LibvirtEvent> events) =>
    [
        connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Lifecycle, events),
        connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Refresh, events),
    ];

    protected override Action<long>? RereadFor(WatchedHost host, IReadOnlyList<LibvirtEvent> events)
    {
        var guestsChanged = events.OfType<DomainLifecycleEvent>()
            .Any(e => e.Type is DomainLifecycleEventType.Defined or DomainLifecycleEventType.Undefined);
        var pools = events.OfType<StoragePoolEvent>().Select(e => e.PoolUuid).Distinct().ToList();
        if (guestsChanged)
        {
            return version => ResyncHost(host, version);
        }

        return pools.Count == 0 ? null : version =>
        {
            foreach (var uuid in pools)
            {
                RereadPool(host, uuid, version);
            }
        };
    }

    /// <summary>Re-reads one pool and its volumes now, for an action that just changed it.</summary>
    public Task RefreshPoolAsync(Guid hostId, LibvirtConnection connection, Guid poolUuid)
    {
        var host = HostOf(hostId, connection);
        return RefreshAsync(host, version => RereadPool(host, poolUuid, version));
    }

    /// <summary>Re-reads the whole host now, for an action that added or removed a pool.</summary>
    public Task RefreshHostAsync(Guid hostId, LibvirtConnection connection)
    {
        var host = HostOf(hostId, connection);
        return RefreshAsync(host, version => ResyncHost(host, version));
    }

    protected override void ResyncHost(WatchedHost host, long version)
    {
        var usage = DiskUsage.Read(host.Connection);
        var pools = new List<PoolState>();
        var volumes = new List<VolumeState>();
        var backing = new Dictionary<string, string?>(StringComparer.Ordinal);
        var unread = new HashSet<Guid>();
        foreach (var pool in host.Connection.ListStoragePools())
        {
            using (pool)
            {
                try
                {
                    // Null: undefined while we listed, so it is rightly left out (and removed below).
                    if (ReadPoolAndVolumes(host, pool) is not { } read)
                    {
                        continue;
                    }

                    pools.Add(read.State);
                    volumes.AddRange(read.Volumes);
                    foreach (var (path, backingPath) in read.Backing)
                    {
                        backing[path] = backingPath;
                    }
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.OperationInvalid)
                {
                    // Kept changing under every attempt. Leaving it out of the listing would remove it with this
                    // version and hide it from the re-read its own lifecycle event asks for: keep what the store has.
                    unread.Add(pool.Uuid);
                    logger.LogDebug("Pool {Pool} on {Host} changed while listing: {Message}", pool, host.Name, e.Message);
                }
            }
        }

        Store.Pools.Replace(pools, version, p => p.HostId == host.HostId && !unread.Contains(p.Uuid));
        Store.Volumes.Replace(
            StorageReader.Complete(volumes, backing, usage), version, v => v.HostId == host.HostId && !unread.Contains(v.PoolUuid));
    }

    private void RereadPool(WatchedHost host, Guid poolUuid, long version)
    {
        LibvirtStoragePool pool;
        try
        {
            pool = host.Connection.GetStoragePoolByUuid(poolUuid);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStoragePool)
        {
            RemovePool(host.HostId, poolUuid, version);
            return;
        }

        using (pool)
        {
            if (ReadPoolAndVolumes(host, pool) is not { } read)
            {
                RemovePool(host.HostId, poolUuid, version);
                return;
            }

            IReadOnlyList<VolumeState> volumes = [];
            if (read.State.IsActive)
            {
                // Chains may run through other pools: start from what is known of the host's other volumes.
                var backing = Store.Volumes.Current(v => v.HostId == host.HostId && v.PoolUuid != poolUuid)
                    .ToDictionary(v => v.Path, v => v.BackingChain.FirstOrDefault(), StringComparer.Ordinal);
                foreach (var (path, backingPath) in read.Backing)
                {
                    backing[path] = backingPath;
                }

                volumes = StorageReader.Complete(read.Volumes, backing, DiskUsage.Read(host.Connection));
            }

            Store.Pools.Upsert(read.State, version);
            Store.Volumes.Replace(volumes, version, v => v.HostId == host.HostId && v.PoolUuid == poolUuid);
        }
    }

    /// <summary>
    /// A pool's state and, when it is active, its volumes; null when the pool no longer exists. A pool stopped between
    /// reading its state and listing its volumes fails the listing (libvirt: "storage pool is not active"), so it is
    /// read again: the second state says inactive.
    /// </summary>
    private PoolRead? ReadPoolAndVolumes(WatchedHost host, LibvirtStoragePool pool)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var state = StorageReader.ReadPool(host.HostId, host.Name, pool, roots);
                if (!state.IsActive)
                {
                    return new PoolRead(state, [], new Dictionary<string, string?>());
                }

                var volumes = StorageReader.ReadVolumes(host.HostId, pool, out var backing);
                return new PoolRead(state, volumes, backing);
            }
            catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStoragePool)
            {
                return null;
            }
            catch (LibvirtException e) when (e.Code == LibvirtErrorCode.OperationInvalid && attempt < ReadAttempts)
            {
                // Stopped (or restarted) under the listing: the next attempt reads the state it has now.
            }
        }
    }

    private void RemovePool(Guid hostId, Guid poolUuid, long version)
    {
        Store.Pools.Remove(PoolState.KeyOf(hostId, poolUuid), version);
        Store.Volumes.Replace([], version, v => v.HostId == hostId && v.PoolUuid == poolUuid);
    }

    protected override void Forget(Guid hostId, long version)
    {
        Store.Pools.Replace([], version, p => p.HostId == hostId);
        Store.Volumes.Replace([], version, v => v.HostId == hostId);
    }

    private sealed record PoolRead(PoolState State, IReadOnlyList<VolumeState> Volumes, IReadOnlyDictionary<string, string?> Backing);
}

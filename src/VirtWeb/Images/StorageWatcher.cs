using System.Threading.Channels;
using VirtWeb.Hosts;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.Images;

/// <summary>
/// Keeps every host's storage pools and volumes in the live store. Pool lifecycle and refresh events are hints to
/// re-read that pool; a guest defined or undefined re-reads the host, since it changes who uses which volume. libvirt
/// has no volume events, so <see cref="ImageService"/> re-reads a pool itself after changing it.
/// </summary>
public sealed class StorageWatcher(LiveStateStore store, ILogger<StorageWatcher> logger) : IHostWatcher
{
    public IEnumerable<IDisposable> Subscribe(LibvirtConnection connection, ChannelWriter<LibvirtEvent> events) =>
    [
        connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Lifecycle, events),
        connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Refresh, events),
    ];

    public Task ResyncAsync(WatchedHost host, long version, CancellationToken cancellationToken) =>
        Task.Run(() => ResyncHost(host, version), cancellationToken);

    public Task ApplyAsync(WatchedHost host, IReadOnlyList<LibvirtEvent> events, CancellationToken cancellationToken)
    {
        var guestsChanged = events.OfType<DomainLifecycleEvent>()
            .Any(e => e.Type is DomainLifecycleEventType.Defined or DomainLifecycleEventType.Undefined);
        var pools = events.OfType<StoragePoolEvent>().Select(e => e.PoolUuid).Distinct().ToList();
        if (!guestsChanged && pools.Count == 0)
        {
            return Task.CompletedTask;
        }

        // Taken before the re-read: it outranks everything observed earlier, and a later event outranks it.
        var version = store.NextVersion();
        return Task.Run(() =>
        {
            if (guestsChanged)
            {
                ResyncHost(host, version);
                return;
            }

            foreach (var uuid in pools)
            {
                RereadPool(host, uuid, version);
            }
        }, cancellationToken);
    }

    public void Disconnected(Guid hostId, long version) => Forget(hostId, version);

    public void Removed(Guid hostId, long version) => Forget(hostId, version);

    /// <summary>Re-reads one pool and its volumes now, for an action that just changed it.</summary>
    public Task RefreshPoolAsync(Guid hostId, LibvirtConnection connection, Guid poolUuid)
    {
        var version = store.NextVersion();
        return Task.Run(() => RereadPool(HostOf(hostId, connection), poolUuid, version));
    }

    /// <summary>Re-reads the whole host now, for an action that added or removed a pool.</summary>
    public Task RefreshHostAsync(Guid hostId, LibvirtConnection connection)
    {
        var version = store.NextVersion();
        return Task.Run(() => ResyncHost(HostOf(hostId, connection), version));
    }

    private WatchedHost HostOf(Guid hostId, LibvirtConnection connection) =>
        new(hostId, store.Hosts.Find(hostId.ToString())?.Name ?? connection.Uri, connection);

    private void ResyncHost(WatchedHost host, long version)
    {
        var usage = DiskUsage.Read(host.Connection);
        var pools = new List<PoolState>();
        var volumes = new List<VolumeState>();
        var backing = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var pool in host.Connection.ListStoragePools())
        {
            using (pool)
            {
                try
                {
                    var state = StorageReader.ReadPool(host.HostId, host.Name, pool);
                    pools.Add(state);
                    if (state.IsActive)
                    {
                        volumes.AddRange(StorageReader.ReadVolumes(host.HostId, pool, out var poolBacking));
                        foreach (var (path, backingPath) in poolBacking)
                        {
                            backing[path] = backingPath;
                        }
                    }
                }
                catch (LibvirtException e) when (e.Code is LibvirtErrorCode.NoStoragePool or LibvirtErrorCode.OperationInvalid)
                {
                    // Undefined or stopped while we listed; its lifecycle event re-reads it.
                    logger.LogDebug("Pool {Pool} on {Host} changed while listing: {Message}", pool, host.Name, e.Message);
                }
            }
        }

        store.Pools.Replace(pools, version, p => p.HostId == host.HostId);
        store.Volumes.Replace(StorageReader.Complete(volumes, backing, usage), version, v => v.HostId == host.HostId);
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
            store.Pools.Remove(PoolState.KeyOf(host.HostId, poolUuid), version);
            store.Volumes.Replace([], version, v => v.HostId == host.HostId && v.PoolUuid == poolUuid);
            return;
        }

        using (pool)
        {
            PoolState state;
            try
            {
                state = StorageReader.ReadPool(host.HostId, host.Name, pool);
            }
            catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStoragePool)
            {
                store.Pools.Remove(PoolState.KeyOf(host.HostId, poolUuid), version);
                store.Volumes.Replace([], version, v => v.HostId == host.HostId && v.PoolUuid == poolUuid);
                return;
            }

            IReadOnlyList<VolumeState> volumes = [];
            if (state.IsActive)
            {
                var listed = StorageReader.ReadVolumes(host.HostId, pool, out var poolBacking);
                // Chains may run through other pools: start from what is known of the host's other volumes.
                var backing = store.Volumes.Current(v => v.HostId == host.HostId && v.PoolUuid != poolUuid)
                    .ToDictionary(v => v.Path, v => v.BackingChain.FirstOrDefault(), StringComparer.Ordinal);
                foreach (var (path, backingPath) in poolBacking)
                {
                    backing[path] = backingPath;
                }

                volumes = StorageReader.Complete(listed, backing, DiskUsage.Read(host.Connection));
            }

            store.Pools.Upsert(state, version);
            store.Volumes.Replace(volumes, version, v => v.HostId == host.HostId && v.PoolUuid == poolUuid);
        }
    }

    private void Forget(Guid hostId, long version)
    {
        store.Pools.Replace([], version, p => p.HostId == hostId);
        store.Volumes.Replace([], version, v => v.HostId == hostId);
    }
}

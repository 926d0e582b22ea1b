namespace VirtWeb.Images;

/// <summary>Which guests' disks point at which files, read from every domain's XML.</summary>
public sealed class DiskUsage
{
    private readonly Dictionary<string, SortedSet<string>> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Pool, string Volume), SortedSet<string>> _byPoolVolume = [];

    public static DiskUsage Read(LibvirtConnection connection)
    {
        var usage = new DiskUsage();
        foreach (var domain in connection.ListDomains())
        {
            using (domain)
            {
                DomainDefinition definition;
                try
                {
                    definition = domain.GetDefinition();
                }
                catch (LibvirtException)
                {
                    // Undefined between listing and reading: it uses nothing any more.
                    continue;
                }

                foreach (var disk in definition.Disks)
                {
                    if ((disk.SourceFile ?? disk.SourceDevice) is { } path)
                    {
                        Add(usage._byPath, path, definition.Name);
                    }

                    if (disk is { SourcePool: { } pool, SourceVolume: { } volume })
                    {
                        Add(usage._byPoolVolume, (pool, volume), definition.Name);
                    }
                }
            }
        }

        return usage;
    }

    /// <summary>The guests using the volume <paramref name="volume"/> of pool <paramref name="pool"/> at <paramref name="path"/>.</summary>
    public IReadOnlyList<string> GuestsUsing(string pool, string volume, string path)
    {
        var guests = new SortedSet<string>(StringComparer.Ordinal);
        if (_byPath.TryGetValue(path, out var byPath))
        {
            guests.UnionWith(byPath);
        }

        if (_byPoolVolume.TryGetValue((pool, volume), out var byVolume))
        {
            guests.UnionWith(byVolume);
        }

        return [.. guests];
    }

    private static void Add<TKey>(Dictionary<TKey, SortedSet<string>> map, TKey key, string guest)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var guests))
        {
            map[key] = guests = new SortedSet<string>(StringComparer.Ordinal);
        }

        guests.Add(guest);
    }
}

/// <summary>Reads pools and volumes into the records the store keeps. Every call blocks on libvirt.</summary>
public static class StorageReader
{
    /// <summary>How deep a backing chain is followed; a loop or a chain longer than this is cut.</summary>
    private const int MaxChain = 16;

    public static PoolState ReadPool(Guid hostId, string hostName, LibvirtStoragePool pool, StorageRoots roots)
    {
        var info = pool.GetInfo();
        var definition = pool.GetDefinition();
        return new PoolState(
            hostId, hostName, pool.Uuid, pool.Name, definition.Type, info.State, pool.Autostart, pool.IsPersistent,
            info.CapacityBytes, info.AllocationBytes, info.AvailableBytes, definition.TargetPath,
            OutsideRoots: !roots.IsInside(pool.Connection, definition.TargetPath));
    }

    /// <summary>The volumes of an active pool, without backing chains and guests (see <see cref="Complete"/>).</summary>
    public static IReadOnlyList<VolumeState> ReadVolumes(Guid hostId, LibvirtStoragePool pool, out IReadOnlyDictionary<string, string?> backingByPath)
    {
        var volumes = new List<VolumeState>();
        var backing = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var volume in pool.ListVolumes())
        {
            using (volume)
            {
                try
                {
                    var info = volume.GetInfo();
                    var definition = volume.GetDefinition();
                    var path = definition.TargetPath ?? volume.Path;
                    backing[path] = definition.BackingStorePath;
                    volumes.Add(new VolumeState(
                        hostId, pool.Uuid, pool.Name, volume.Name, path, definition.TargetFormat, info.Type,
                        info.CapacityBytes, info.AllocationBytes, [], []));
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStorageVol)
                {
                    // Deleted while we listed; the next read will not see it either.
                }
            }
        }

        backingByPath = backing;
        return volumes;
    }

    /// <summary>Fills in each volume's backing chain and the guests that use it.</summary>
    public static IReadOnlyList<VolumeState> Complete(
        IEnumerable<VolumeState> volumes, IReadOnlyDictionary<string, string?> backingByPath, DiskUsage usage) =>
        volumes.Select(v => v with
        {
            BackingChain = Chain(v.Path, backingByPath),
            UsedBy = usage.GuestsUsing(v.PoolName, v.Name, v.Path),
        }).ToList();

    public static IReadOnlyList<string> Chain(string path, IReadOnlyDictionary<string, string?> backingByPath)
    {
        var chain = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { path };
        var next = backingByPath.GetValueOrDefault(path);
        while (next is not null && chain.Count < MaxChain && seen.Add(next))
        {
            chain.Add(next);
            next = backingByPath.GetValueOrDefault(next);
        }

        return chain;
    }
}

using System.Collections.Concurrent;

namespace VirtWeb.Images;

/// <summary>
/// What <see cref="VolumeService"/>, <see cref="VolumeTransfers"/> and <see cref="PoolService"/> share: the role check,
/// the audit row for every change and refusal (with libvirt's message when it failed), the re-read of the pool or host
/// into the live store afterwards, and libvirt's errors in words a user can act on. Public only so the container can
/// hand the one instance to the three; every member is internal.
/// </summary>
public sealed class ImageOperations(
    IHostConnections hostConnections, StorageWatcher watcher, LiveStateStore store, AuditLog audit, AccessControl access, StorageRoots roots)
{
    // One change at a time per volume: two operators deleting the same volume get one deletion and one clear message.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _volumeLocks = new(StringComparer.Ordinal);

    internal AuditLog Audit => audit;

    internal StorageWatcher Watcher => watcher;

    internal StorageRoots Roots => roots;

    internal Task PoolActionAsync(ClaimsPrincipal user, Audited audited, Guid hostId, string poolName, Action<LibvirtConnection, LibvirtStoragePool> act) =>
        RunAsync(user, audited, hostId, connection =>
        {
            using var pool = FindPool(connection, poolName);
            act(connection, pool);
            return (pool.Uuid, "");
        });

    internal async Task<string> RunLockedAsync(ClaimsPrincipal user, Audited audited, Guid hostId, string path, Func<LibvirtConnection, (Guid Pool, string Path)> act)
    {
        await RequireMayChangeAsync(user, audited);
        var gate = _volumeLocks.GetOrAdd($"{hostId}|{path}", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            return await RunAllowedAsync(user, audited, hostId, act, wholeHost: false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <param name="ownConnection">For a long copy (a clone): it runs on a connection of its own (<see cref="IHostConnections.OpenSeparateAsync"/>), so the host's other pages and actions do not wait behind it.</param>
    internal async Task<string> RunAsync(ClaimsPrincipal user, Audited audited, Guid hostId, Func<LibvirtConnection, (Guid Pool, string Path)> act, bool wholeHost = false, bool ownConnection = false)
    {
        await RequireMayChangeAsync(user, audited);
        return await RunAllowedAsync(user, audited, hostId, act, wholeHost, ownConnection);
    }

    private async Task<string> RunAllowedAsync(ClaimsPrincipal user, Audited audited, Guid hostId, Func<LibvirtConnection, (Guid Pool, string Path)> act, bool wholeHost, bool ownConnection = false)
    {
        LibvirtConnection? connection = null;
        using var own = ownConnection ? await OpenSeparateAsync(user, audited, hostId) : null;
        var result = await audit.RunAsync(
            user, audited.Action, audited.Target, () => act(own?.Connection ?? (connection = Connection(hostId))), e => Translate(e, null), _ => audited.Detail, OutcomeOf);
        connection ??= Connection(hostId);
        if (wholeHost)
        {
            await watcher.RefreshHostAsync(hostId, connection!);
        }
        else
        {
            await watcher.RefreshPoolAsync(hostId, connection!, result.Pool);
        }

        return result.Path;
    }

    /// <summary>
    /// Whoever may manage images on the target (an Operator or Administrator there) may change it; a volume read from
    /// (an overlay's backing file, a clone's source) must also be visible to them. A refusal is audited, then thrown.
    /// </summary>
    internal async Task RequireMayChangeAsync(ClaimsPrincipal user, Audited audited)
    {
        await access.RequireAsync(user, audited.Needs, audited.Action, audited.CheckedOn ?? audited.Target, audited.What);
        if (audited.Source is { } source)
        {
            await access.RequireAsync(user, Permission.View, audited.Action, VolumeTarget(audited.HostId, source), "read the source volume");
        }
    }

    // Adding and removing pools is the host's business: checked on the host, where a grant on one pool cannot reach.
    internal static Audited HostWide(string action, Guid hostId, string poolName, string what, string? detail = null) =>
        new(action, AccessPaths.Pool(hostId, poolName), what, detail, Needs: Permission.ManageHosts, CheckedOn: AccessPaths.Host(hostId));

    // A refusal by the storage roots is a refusal by policy, as a missing right is.
    internal static AuditOutcome OutcomeOf(Exception e) =>
        e is ImageException { Failure: ImageFailure.Forbidden } ? AuditOutcome.Denied : AuditOutcome.Failure;

    // Path-named actions: the live store knows the pool and name of every listed volume, and refusals need them before
    // libvirt is asked anything.
    internal string VolumeTarget(Guid hostId, string path) =>
        store.Volumes.Find(VolumeState.KeyOf(hostId, path)) is { } volume
            ? AccessPaths.Volume(hostId, volume.PoolName, volume.Name)
            : AccessPaths.VolumeAt(hostId, path);

    private async Task<SeparateConnection> OpenSeparateAsync(ClaimsPrincipal user, Audited audited, Guid hostId)
    {
        try
        {
            return await hostConnections.OpenSeparateAsync(hostId);
        }
        catch (HostUnavailableException e)
        {
            // Refused like a change on a host that is not connected: audited, nothing done.
            await audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Failure, e.Message);
            throw new ImageException(e.Message, ImageFailure.NotFound);
        }
    }

    internal LibvirtConnection Connection(Guid hostId) =>
        hostConnections.ConnectionOr(hostId, message => new ImageException(message, ImageFailure.NotFound));

    internal static LibvirtStoragePool FindPool(LibvirtConnection connection, string poolName)
    {
        try
        {
            return connection.GetStoragePoolByName(poolName);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStoragePool)
        {
            throw new ImageException($"The pool {poolName} no longer exists on this host; someone removed it.", ImageFailure.NotFound);
        }
    }

    internal static LibvirtStorageVolume FindVolume(LibvirtConnection connection, string path)
    {
        try
        {
            return connection.GetStorageVolumeByPath(path);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStorageVol)
        {
            throw new ImageException($"The volume {path} no longer exists; someone deleted it a moment ago.", ImageFailure.NotFound);
        }
    }

    internal static LibvirtStorageVolume Create(LibvirtStoragePool pool, string name, Func<LibvirtStorageVolume> create)
    {
        try
        {
            return create();
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.StorageVolExist || e.Message.Contains("already exists", StringComparison.Ordinal))
        {
            throw new ImageException($"A volume named {name} already exists in pool {pool.Name}; choose another name.", ImageFailure.Conflict);
        }
    }

    internal static void RequireFits(LibvirtStoragePool pool, ulong bytes, bool preallocated)
    {
        var info = pool.GetInfo();
        if (preallocated && bytes > info.AvailableBytes)
        {
            throw new ImageException(
                $"{ImageNames.Bytes(bytes)} does not fit: it is taken on the host at once, and pool {pool.Name} has {ImageNames.Bytes(info.AvailableBytes)} free. Choose a smaller size, another pool, or qcow2 (thin).",
                ImageFailure.TooLarge);
        }

        if (!preallocated && bytes > info.CapacityBytes)
        {
            throw new ImageException(
                $"{ImageNames.Bytes(bytes)} is more than the whole pool {pool.Name} ({ImageNames.Bytes(info.CapacityBytes)}); a thin volume could never be filled. Choose a smaller size.",
                ImageFailure.TooLarge);
        }
    }

    internal static void RequireUnused(LibvirtConnection connection, LibvirtStorageVolume volume, string action)
    {
        using var pool = volume.GetPool();
        var guests = DiskUsage.Read(connection).GuestsUsing(pool.Name, volume.Name, volume.Path);
        if (guests.Count > 0)
        {
            throw new ImageException(
                $"Cannot {action} {volume.Name}: {Names(guests, "guest")} use{(guests.Count == 1 ? "s" : "")} it. Remove the disk from {(guests.Count == 1 ? "that guest" : "those guests")} first.",
                ImageFailure.Conflict);
        }
    }

    internal static void RequirePoolUnused(LibvirtConnection connection, LibvirtStoragePool pool, string action)
    {
        var usage = DiskUsage.Read(connection);
        var guests = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var volume in pool.ListVolumes())
        {
            using (volume)
            {
                guests.UnionWith(usage.GuestsUsing(pool.Name, volume.Name, volume.Path));
            }
        }

        if (guests.Count > 0)
        {
            throw new ImageException($"Cannot {action} pool {pool.Name}: {Names([.. guests], "guest")} use its volumes.", ImageFailure.Conflict);
        }
    }

    /// <summary>The volumes on the host whose backing file is <paramref name="path"/>.</summary>
    internal static List<string> OverlaysOf(LibvirtConnection connection, string path)
    {
        var overlays = new List<string>();
        foreach (var pool in connection.ListStoragePools(StoragePoolListFlags.Active))
        {
            using (pool)
            {
                foreach (var volume in pool.ListVolumes())
                {
                    using (volume)
                    {
                        try
                        {
                            if (volume.GetDefinition().BackingStorePath == path)
                            {
                                overlays.Add(volume.Name);
                            }
                        }
                        catch (LibvirtException)
                        {
                            // Gone meanwhile: it needs nothing any more.
                        }
                    }
                }
            }
        }

        overlays.Sort(StringComparer.Ordinal);
        return overlays;
    }

    internal static void DeleteQuietly(LibvirtConnection connection, string path)
    {
        try
        {
            using var volume = connection.GetStorageVolumeByPath(path);
            volume.Delete();
        }
        catch (LibvirtException)
        {
            // Already gone.
        }
    }

    internal static void TryRefresh(LibvirtStoragePool pool)
    {
        try
        {
            pool.Refresh();
        }
        catch (LibvirtException)
        {
            // Another transfer into the pool is running; the watcher's direct re-read still shows the new volume.
        }
    }

    internal ImageException Translate(LibvirtException e, string? name) => e.Code switch
    {
        LibvirtErrorCode.NoStorageVol => new ImageException($"The volume {name} no longer exists; someone deleted it a moment ago.", ImageFailure.NotFound),
        LibvirtErrorCode.NoStoragePool => new ImageException("The pool no longer exists on this host; someone removed it.", ImageFailure.NotFound),
        _ => new ImageException($"libvirt refused: {roots.Redact(e.Message)}", ImageFailure.Conflict),
    };

    /// <summary>An audited action: its name and target in the trail, the words of a refusal, and what a success records.</summary>
    /// <param name="Source">A volume the action reads (by path on <paramref name="HostId"/>), checked for visibility too.</param>
    /// <param name="Needs">The permission checked, on <paramref name="CheckedOn"/> when given, else on <paramref name="Target"/>.</param>
    internal sealed record Audited(
        string Action, string Target, string What, string? Detail = null, Guid HostId = default, string? Source = null,
        Permission Needs = Permission.ManageImages, string? CheckedOn = null);

    internal static string Names(IReadOnlyList<string> names, string? noun = null)
    {
        var list = names.Count switch
        {
            1 => names[0],
            _ => string.Join(", ", names.Take(names.Count - 1)) + " and " + names[^1],
        };
        return noun is null ? list : $"{(names.Count == 1 ? noun : noun + "s")} {list}";
    }
}

using System.Collections.Concurrent;
using System.Security.Claims;
using System.Xml.Linq;
using VirtWeb.Access;
using VirtWeb.Data;
using VirtWeb.Hosts;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.Images;

/// <summary>What a volume download sends: a file name, its length when known, and the copy itself.</summary>
public sealed record VolumeDownload(string FileName, long? Length, Func<Stream, CancellationToken, Task> CopyToAsync);

/// <summary>
/// Every change to pools and volumes. Each method checks the caller's role itself (Operator or Administrator), re-reads
/// what it depends on from libvirt rather than trusting the page, and re-reads the pool into the live store afterwards
/// (libvirt has no volume events). Volumes are named by host and path, which libvirt keeps unique per host. Every
/// change, download and refusal is written to the audit trail, with libvirt's message when it failed. Pools outside
/// VirtWeb's storage roots (<see cref="StorageRoots"/>) are shown only: every action on them or their volumes is refused.
/// </summary>
public sealed class ImageService(
    IHostConnections hostConnections, StorageWatcher watcher, LiveStateStore store, AuditLog audit, AccessControl access, StorageRoots roots,
    ILogger<ImageService> logger)
{
    // One change at a time per volume: two operators deleting the same volume get one deletion and one clear message.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _volumeLocks = new(StringComparer.Ordinal);

    // ---- Volumes ----

    /// <summary>A qcow2 (thin: grows as data is written) or raw (preallocated: takes its whole size now) volume.</summary>
    public Task<string> CreateVolumeAsync(ClaimsPrincipal user, Guid hostId, string poolName, string name, string format, long sizeBytes) =>
        RunAsync(user, new("image.create", VolumeTarget(hostId, poolName, name), "create volumes", $"{format}, {sizeBytes} bytes"), hostId, connection =>
        {
            ImageNames.Require(name);
            format = ImageNames.RequireFormat(format, ImageNames.CreatableFormats);
            var size = ImageNames.RequireSize(sizeBytes);
            using var pool = FindPool(connection, poolName);
            roots.RequireInside(pool, "create volumes in it");
            RequireFits(pool, size, preallocated: format == "raw");
            using var volume = Create(pool, name, () => pool.CreateVolume(VolumeXml(name, size, format).ToString()));
            return (pool.Uuid, volume.Path);
        });

    /// <summary>A qcow2 overlay (linked clone) on <paramref name="backingPath"/>: it stores only what differs from it.</summary>
    public Task<string> CreateOverlayAsync(ClaimsPrincipal user, Guid hostId, string poolName, string name, string backingPath) =>
        RunAsync(user, new("image.overlay", VolumeTarget(hostId, poolName, name), "create volumes", $"qcow2 overlay on {backingPath}", hostId, backingPath), hostId, connection =>
        {
            ImageNames.Require(name);
            using var backing = FindVolume(connection, backingPath);
            roots.RequireInside(backing, "let its volumes back overlays");
            var backingDefinition = backing.GetDefinition();
            var capacity = backing.GetInfo().CapacityBytes;
            using var pool = FindPool(connection, poolName);
            roots.RequireInside(pool, "create volumes in it");
            var xml = VolumeXml(name, capacity, "qcow2");
            xml.Add(new XElement("backingStore",
                new XElement("path", backing.Path),
                new XElement("format", new XAttribute("type", backingDefinition.TargetFormat ?? "raw"))));
            using var volume = Create(pool, name, () => pool.CreateVolume(xml.ToString()));
            return (pool.Uuid, volume.Path);
        });

    /// <summary>A full copy of <paramref name="sourcePath"/>; a different format converts (qemu-img convert).</summary>
    public Task<string> CloneVolumeAsync(ClaimsPrincipal user, Guid hostId, string sourcePath, string poolName, string name, string format) =>
        RunAsync(user, new("image.clone", VolumeTarget(hostId, poolName, name), "clone volumes", $"{format} copy of {sourcePath}", hostId, sourcePath), hostId, connection =>
        {
            ImageNames.Require(name);
            format = ImageNames.RequireFormat(format, ImageNames.CreatableFormats);
            using var source = FindVolume(connection, sourcePath);
            roots.RequireInside(source, "copy its volumes");
            var capacity = source.GetInfo().CapacityBytes;
            using var pool = FindPool(connection, poolName);
            roots.RequireInside(pool, "create volumes in it");
            RequireFits(pool, capacity, preallocated: format == "raw");
            using var volume = Create(pool, name, () => pool.CloneVolume(VolumeXml(name, capacity, format).ToString(), source));
            return (pool.Uuid, volume.Path);
        });

    /// <summary>Grows a volume; shrinking is refused unless the volume is raw, unused and <paramref name="confirmShrink"/>.</summary>
    public Task<string> ResizeVolumeAsync(ClaimsPrincipal user, Guid hostId, string path, long newSizeBytes, bool confirmShrink = false) =>
        RunLockedAsync(user, new("image.resize", VolumeTarget(hostId, path), "resize volumes", $"to {newSizeBytes} bytes{(confirmShrink ? ", shrink confirmed" : "")}"), hostId, path, connection =>
        {
            var size = ImageNames.RequireSize(newSizeBytes, "new size");
            using var volume = FindVolume(connection, path);
            using var pool = volume.GetPool();
            roots.RequireInside(pool, "resize its volumes");
            var info = volume.GetInfo();
            var format = volume.GetDefinition().TargetFormat ?? "raw";
            if (size == info.CapacityBytes)
            {
                throw new ImageException($"{volume.Name} is already {ImageNames.Bytes(size)}; choose another size.");
            }

            var flags = format == "raw" ? StorageVolumeResizeFlags.Allocate : StorageVolumeResizeFlags.None;
            if (size < info.CapacityBytes)
            {
                if (format != "raw")
                {
                    throw new ImageException(
                        $"{volume.Name} is {format}: VirtWeb only grows such volumes. Shrinking would cut off data the guest may use; clone it smaller from inside the guest instead.");
                }

                RequireUnused(connection, volume, "shrink");
                if (size < info.AllocationBytes)
                {
                    throw new ImageException(
                        $"{volume.Name} occupies {ImageNames.Bytes(info.AllocationBytes)} on the host (preallocated), and libvirt cannot shrink a volume below what it occupies. Clone it into a smaller volume instead.",
                        ImageFailure.Conflict);
                }

                if (!confirmShrink)
                {
                    throw new ImageException(
                        $"Shrinking {volume.Name} from {ImageNames.Bytes(info.CapacityBytes)} to {ImageNames.Bytes(size)} destroys everything past {ImageNames.Bytes(size)}. Confirm to shrink.",
                        ImageFailure.Conflict);
                }

                flags = StorageVolumeResizeFlags.Shrink;
            }
            else
            {
                RequireFits(pool, size - info.CapacityBytes, preallocated: format == "raw");
            }

            volume.Resize(size, flags);
            return (pool.Uuid, volume.Path);
        });

    /// <summary>Overwrites the volume's data with zeros; refused while a guest uses it.</summary>
    public Task<string> WipeVolumeAsync(ClaimsPrincipal user, Guid hostId, string path) =>
        RunLockedAsync(user, new("image.wipe", VolumeTarget(hostId, path), "wipe volumes"), hostId, path, connection =>
        {
            using var volume = FindVolume(connection, path);
            using var pool = volume.GetPool();
            roots.RequireInside(pool, "wipe its volumes");
            RequireUnused(connection, volume, "wipe");
            volume.Wipe();
            return (pool.Uuid, volume.Path);
        });

    /// <summary>Deletes a volume no guest uses and no overlay needs.</summary>
    public Task<string> DeleteVolumeAsync(ClaimsPrincipal user, Guid hostId, string path) =>
        RunLockedAsync(user, new("image.delete", VolumeTarget(hostId, path), "delete volumes", path), hostId, path, connection =>
        {
            using var volume = FindVolume(connection, path);
            using var pool = volume.GetPool();
            roots.RequireInside(pool, "delete its volumes");
            RequireUnused(connection, volume, "delete");
            var overlays = OverlaysOf(connection, volume.Path);
            if (overlays.Count > 0)
            {
                throw new ImageException(
                    $"{volume.Name} is the backing file of {Names(overlays)}: they store only their differences from it and would lose their data. Delete or flatten them first.",
                    ImageFailure.Conflict);
            }

            volume.Delete();
            return (pool.Uuid, path);
        });

    // ---- Upload and download ----

    /// <summary>
    /// Streams <paramref name="body"/> (exactly <paramref name="length"/> bytes) into a new volume of
    /// <paramref name="capacityBytes"/> (the file's size when null). Any failure or cancellation deletes the volume, so
    /// nothing half-written stays behind.
    /// </summary>
    public async Task<string> UploadAsync(
        ClaimsPrincipal user, Guid hostId, string poolName, string name, string format, long length, long? capacityBytes,
        Stream body, CancellationToken cancellationToken)
    {
        var audited = new Audited("image.upload", VolumeTarget(hostId, poolName, name), "upload volumes");
        await RequireMayChangeAsync(user, audited);
        string path;
        try
        {
            path = await UploadAllowedAsync(hostId, poolName, name, format, length, capacityBytes, body, cancellationToken);
        }
        catch (Exception e)
        {
            // Cancelled by the browser, cut off, refused by libvirt or by validation: each is one Failure row.
            await audit.WriteAsync(user, audited.Action, audited.Target, OutcomeOf(e), e.Message);
            throw;
        }

        await audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Success, $"{format}, {length} bytes");
        return path;
    }

    private async Task<string> UploadAllowedAsync(
        Guid hostId, string poolName, string name, string format, long length, long? capacityBytes, Stream body, CancellationToken cancellationToken)
    {
        ImageNames.Require(name);
        format = ImageNames.RequireFormat(format, ImageNames.UploadFormats);
        var size = ImageNames.RequireSize(length, "file size");
        var capacity = capacityBytes is { } requested ? ImageNames.RequireSize(requested, "volume size") : size;
        if (size > capacity)
        {
            throw new ImageException(
                $"The file ({ImageNames.Bytes(size)}) is larger than the volume ({ImageNames.Bytes(capacity)}); make the volume at least as large as the file.",
                ImageFailure.TooLarge);
        }

        var connection = Connection(hostId);
        Guid poolUuid;
        LibvirtStorageVolume volume;
        try
        {
            (poolUuid, volume) = await Task.Run(() =>
            {
                using var pool = FindPool(connection, poolName);
                roots.RequireInside(pool, "upload into it");
                RequireFits(pool, capacity, preallocated: true);
                // Created as plain bytes and sparse: the upload writes every byte anyway, and the pool refresh afterwards
                // lets libvirt probe the real format (a qcow2 file stays qcow2).
                var xml = VolumeXml(name, capacity, format == "iso" ? "iso" : "raw", allocation: 0);
                return (pool.Uuid, Create(pool, name, () => pool.CreateVolume(xml.ToString())));
            }, CancellationToken.None);
        }
        catch (LibvirtException e)
        {
            throw Translate(e, name);
        }

        var path = volume.Path;
        try
        {
            using (volume)
            {
                await using var source = new ExactLengthStream(body, length);
                await volume.UploadAsync(source, 0, size, cancellationToken);
            }
        }
        catch (Exception e)
        {
            logger.LogInformation("Upload of {Volume} to {Pool} stopped ({Reason}); deleting the partial volume.", name, poolName, e.Message);
            await Task.Run(() => DeleteQuietly(connection, path), CancellationToken.None);
            await watcher.RefreshPoolAsync(hostId, connection, poolUuid);
            if (e is LibvirtException libvirt)
            {
                throw Translate(libvirt, name);
            }

            throw;
        }

        await Task.Run(() =>
        {
            using var pool = connection.GetStoragePoolByUuid(poolUuid);
            TryRefresh(pool);
        }, CancellationToken.None);
        await watcher.RefreshPoolAsync(hostId, connection, poolUuid);
        return path;
    }

    /// <summary>
    /// The volume's bytes as stored (a qcow2 volume downloads as its qcow2 file). Operators only: images hold guests'
    /// data. The trail gets a row when the copy ends, with how it ended.
    /// </summary>
    public async Task<VolumeDownload> DownloadAsync(ClaimsPrincipal user, Guid hostId, string path)
    {
        var audited = new Audited("image.download", VolumeTarget(hostId, path), "download volumes");
        await RequireMayChangeAsync(user, audited);
        try
        {
            var connection = Connection(hostId);
            return await Task.Run(() =>
            {
                using var volume = FindVolume(connection, path);
                roots.RequireInside(volume, "let its volumes be downloaded");
                var definition = volume.GetDefinition();
                var info = volume.GetInfo();
                long? length = definition.PhysicalBytes is { } physical ? (long)physical
                    : definition.TargetFormat is "raw" or "iso" ? (long)info.CapacityBytes : null;
                var fileName = volume.Name;
                return new VolumeDownload(fileName, length, async (destination, cancellationToken) =>
                {
                    try
                    {
                        using var fresh = FindVolume(connection, path);
                        await fresh.DownloadAsync(destination, cancellationToken: cancellationToken);
                        await destination.FlushAsync(cancellationToken);
                    }
                    catch (Exception e)
                    {
                        await audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Failure, e.Message);
                        throw;
                    }

                    await audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Success, length is { } bytes ? $"{bytes} bytes" : null);
                });
            });
        }
        catch (LibvirtException e)
        {
            var translated = Translate(e, null);
            await audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Failure, translated.Message);
            throw translated;
        }
        catch (ImageException e)
        {
            await audit.WriteAsync(user, audited.Action, audited.Target, OutcomeOf(e), e.Message);
            throw;
        }
    }

    // ---- Pools ----

    /// <summary>
    /// Defines a directory pool, creates its directory, starts it and sets autostart; undone if a step fails. Only an
    /// Administrator of the host, and only inside the storage roots: a pool makes every file in its directory a volume
    /// that can be downloaded, overwritten and deleted.
    /// </summary>
    public Task CreateDirectoryPoolAsync(ClaimsPrincipal user, Guid hostId, string name, string directory, bool autostart) =>
        RunAsync(user, HostWide("pool.create", hostId, name, "create pools", $"dir {directory}{(autostart ? ", autostart" : "")}"), hostId, connection =>
        {
            ImageNames.Require(name, "pool");
            directory = roots.RequirePoolDirectory(connection, directory);

            var xml = new XElement("pool", new XAttribute("type", "dir"),
                new XElement("name", name),
                new XElement("target", new XElement("path", directory)));
            LibvirtStoragePool pool;
            try
            {
                pool = connection.DefineStoragePool(xml.ToString());
            }
            catch (LibvirtException e) when (e.Code == LibvirtErrorCode.OperationFailed || e.Message.Contains("already exists", StringComparison.Ordinal))
            {
                throw new ImageException($"A pool named {name} or using {directory} already exists: {roots.Redact(e.Message)}", ImageFailure.Conflict);
            }

            using (pool)
            {
                try
                {
                    pool.Build();
                    pool.Start();
                    pool.Autostart = autostart;
                }
                catch
                {
                    if (pool.IsActive)
                    {
                        pool.Stop();
                    }

                    pool.Undefine();
                    throw;
                }

                return (pool.Uuid, "");
            }
        }, wholeHost: true);

    public Task StartPoolAsync(ClaimsPrincipal user, Guid hostId, string poolName) =>
        PoolActionAsync(user, new("pool.start", PoolTarget(hostId, poolName), "start pools"), hostId, poolName, (_, pool) =>
        {
            roots.RequireInside(pool, "start it");
            pool.Start();
        });

    public Task StopPoolAsync(ClaimsPrincipal user, Guid hostId, string poolName) =>
        PoolActionAsync(user, new("pool.stop", PoolTarget(hostId, poolName), "stop pools"), hostId, poolName, (connection, pool) =>
        {
            roots.RequireInside(pool, "stop it");
            RequirePoolUnused(connection, pool, "stop");
            pool.Stop();
        });

    public Task RefreshPoolAsync(ClaimsPrincipal user, Guid hostId, string poolName) =>
        PoolActionAsync(user, new("pool.refresh", PoolTarget(hostId, poolName), "refresh pools"), hostId, poolName, (_, pool) => pool.Refresh());

    public Task SetAutostartAsync(ClaimsPrincipal user, Guid hostId, string poolName, bool autostart) =>
        PoolActionAsync(user, new("pool.autostart", PoolTarget(hostId, poolName), "change pools", autostart ? "on" : "off"), hostId, poolName, (_, pool) =>
        {
            roots.RequireInside(pool, "change its autostart");
            pool.Autostart = autostart;
        });

    /// <summary>
    /// Deletes an empty pool (Administrators of the host): stops it, removes its directory and forgets it. A pool with
    /// volumes is refused, so is a pool outside the storage roots; a pool on a root itself keeps that directory.
    /// </summary>
    public Task DeletePoolAsync(ClaimsPrincipal user, Guid hostId, string poolName) =>
        RunAsync(user, HostWide("pool.delete", hostId, poolName, "delete pools"), hostId, connection =>
        {
            using var pool = FindPool(connection, poolName);
            roots.RequireInside(pool, "delete it");
            var definition = pool.GetDefinition();
            if (pool.IsActive)
            {
                var volumes = pool.ListVolumes();
                var names = volumes.Select(v => v.Name).Order(StringComparer.Ordinal).ToList();
                foreach (var volume in volumes)
                {
                    volume.Dispose();
                }

                if (names.Count > 0)
                {
                    throw new ImageException($"Pool {poolName} still holds {Names(names)}. Delete those volumes first.", ImageFailure.Conflict);
                }

                pool.Stop();
            }

            if (definition.Type == "dir" && !(StorageRoots.AppliesTo(connection) && roots.IsRoot(definition.TargetPath)))
            {
                pool.Delete();
            }

            if (pool.IsPersistent)
            {
                pool.Undefine();
            }

            return (pool.Uuid, "");
        }, wholeHost: true);

    // ---- Plumbing ----

    private Task PoolActionAsync(ClaimsPrincipal user, Audited audited, Guid hostId, string poolName, Action<LibvirtConnection, LibvirtStoragePool> act) =>
        RunAsync(user, audited, hostId, connection =>
        {
            using var pool = FindPool(connection, poolName);
            act(connection, pool);
            return (pool.Uuid, "");
        });

    private async Task<string> RunLockedAsync(ClaimsPrincipal user, Audited audited, Guid hostId, string path, Func<LibvirtConnection, (Guid Pool, string Path)> act)
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

    private async Task<string> RunAsync(ClaimsPrincipal user, Audited audited, Guid hostId, Func<LibvirtConnection, (Guid Pool, string Path)> act, bool wholeHost = false)
    {
        await RequireMayChangeAsync(user, audited);
        return await RunAllowedAsync(user, audited, hostId, act, wholeHost);
    }

    private async Task<string> RunAllowedAsync(ClaimsPrincipal user, Audited audited, Guid hostId, Func<LibvirtConnection, (Guid Pool, string Path)> act, bool wholeHost)
    {
        LibvirtConnection connection;
        (Guid Pool, string Path) result;
        try
        {
            connection = Connection(hostId);
            try
            {
                result = await Task.Run(() => act(connection));
            }
            catch (LibvirtException e)
            {
                throw Translate(e, null);
            }
        }
        catch (ImageException e)
        {
            await audit.WriteAsync(user, audited.Action, audited.Target, OutcomeOf(e), e.Message);
            throw;
        }

        await audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Success, audited.Detail);
        if (wholeHost)
        {
            await watcher.RefreshHostAsync(hostId, connection);
        }
        else
        {
            await watcher.RefreshPoolAsync(hostId, connection, result.Pool);
        }

        return result.Path;
    }

    /// <summary>
    /// Whoever may manage images on the target (an Operator or Administrator there) may change it; a volume read from
    /// (an overlay's backing file, a clone's source) must also be visible to them. A refusal is audited, then thrown.
    /// </summary>
    private async Task RequireMayChangeAsync(ClaimsPrincipal user, Audited audited)
    {
        await access.RequireAsync(user, audited.Needs, audited.Action, audited.CheckedOn ?? audited.Target, audited.What);
        if (audited.Source is { } source)
        {
            await access.RequireAsync(user, Permission.View, audited.Action, VolumeTarget(audited.HostId, source), "read the source volume");
        }
    }

    private static string PoolTarget(Guid hostId, string? poolName) => $"/hosts/{hostId}/pools/{poolName}";

    // Adding and removing pools is the host's business: checked on the host, where a grant on one pool cannot reach.
    private static Audited HostWide(string action, Guid hostId, string poolName, string what, string? detail = null) =>
        new(action, PoolTarget(hostId, poolName), what, detail, Needs: Permission.ManageHosts, CheckedOn: AccessPaths.Host(hostId));

    // A refusal by the storage roots is a refusal by policy, as a missing right is.
    private static AuditOutcome OutcomeOf(Exception e) =>
        e is ImageException { Failure: ImageFailure.Forbidden } ? AuditOutcome.Denied : AuditOutcome.Failure;

    private static string VolumeTarget(Guid hostId, string? poolName, string? name) => $"{PoolTarget(hostId, poolName)}/volumes/{name}";

    // Path-named actions: the live store knows the pool and name of every listed volume, and refusals need them before
    // libvirt is asked anything.
    private string VolumeTarget(Guid hostId, string path) =>
        store.Volumes.Find(VolumeState.KeyOf(hostId, path)) is { } volume
            ? VolumeTarget(hostId, volume.PoolName, volume.Name)
            : $"/hosts/{hostId}/volumes{(path.StartsWith('/') ? "" : "/")}{path}";

    private LibvirtConnection Connection(Guid hostId)
    {
        try
        {
            return hostConnections.GetConnection(hostId);
        }
        catch (HostUnavailableException e)
        {
            throw new ImageException(e.Message, ImageFailure.NotFound);
        }
    }

    private static LibvirtStoragePool FindPool(LibvirtConnection connection, string poolName)
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

    private static LibvirtStorageVolume FindVolume(LibvirtConnection connection, string path)
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

    private static LibvirtStorageVolume Create(LibvirtStoragePool pool, string name, Func<LibvirtStorageVolume> create)
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

    private static void RequireFits(LibvirtStoragePool pool, ulong bytes, bool preallocated)
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

    private static void RequireUnused(LibvirtConnection connection, LibvirtStorageVolume volume, string action)
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

    private static void RequirePoolUnused(LibvirtConnection connection, LibvirtStoragePool pool, string action)
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
    private static List<string> OverlaysOf(LibvirtConnection connection, string path)
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

    private static void DeleteQuietly(LibvirtConnection connection, string path)
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

    private static void TryRefresh(LibvirtStoragePool pool)
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

    private ImageException Translate(LibvirtException e, string? name) => e.Code switch
    {
        LibvirtErrorCode.NoStorageVol => new ImageException($"The volume {name} no longer exists; someone deleted it a moment ago.", ImageFailure.NotFound),
        LibvirtErrorCode.NoStoragePool => new ImageException("The pool no longer exists on this host; someone removed it.", ImageFailure.NotFound),
        _ => new ImageException($"libvirt refused: {roots.Redact(e.Message)}", ImageFailure.Conflict),
    };

    /// <summary>An audited action: its name and target in the trail, the words of a refusal, and what a success records.</summary>
    /// <param name="Source">A volume the action reads (by path on <paramref name="HostId"/>), checked for visibility too.</param>
    /// <param name="Needs">The permission checked, on <paramref name="CheckedOn"/> when given, else on <paramref name="Target"/>.</param>
    private sealed record Audited(
        string Action, string Target, string What, string? Detail = null, Guid HostId = default, string? Source = null,
        Permission Needs = Permission.ManageImages, string? CheckedOn = null);

    private static string Names(IReadOnlyList<string> names, string? noun = null)
    {
        var list = names.Count switch
        {
            1 => names[0],
            _ => string.Join(", ", names.Take(names.Count - 1)) + " and " + names[^1],
        };
        return noun is null ? list : $"{(names.Count == 1 ? noun : noun + "s")} {list}";
    }

    private static XElement VolumeXml(string name, ulong capacity, string format, ulong? allocation = null) =>
        new("volume",
            new XElement("name", name),
            new XElement("capacity", new XAttribute("unit", "bytes"), capacity),
            // Thin qcow2 starts empty; raw is preallocated: the file takes its whole size at once.
            new XElement("allocation", new XAttribute("unit", "bytes"), allocation ?? (format == "raw" ? capacity : 0)),
            new XElement("target", new XElement("format", new XAttribute("type", format))));
}

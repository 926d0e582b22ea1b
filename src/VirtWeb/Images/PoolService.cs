using System.Xml.Linq;
using static VirtWeb.Images.ImageOperations;

namespace VirtWeb.Images;

/// <summary>
/// Directory pools: creating and deleting them (Administrators of the host), starting, stopping, refreshing and
/// autostart (Operators). Each change is checked, audited and re-read into the live store; pools outside VirtWeb's
/// storage roots (<see cref="StorageRoots"/>) are shown only.
/// </summary>
public sealed class PoolService(ImageOperations operations)
{
    // ---- Pools ----

    /// <summary>
    /// Defines a directory pool, creates its directory, starts it and sets autostart; undone if a step fails. Only an
    /// Administrator of the host, and only inside the storage roots: a pool makes every file in its directory a volume
    /// that can be downloaded, overwritten and deleted.
    /// </summary>
    public Task CreateDirectoryPoolAsync(ClaimsPrincipal user, Guid hostId, string name, string directory, bool autostart) =>
        operations.RunAsync(user, HostWide("pool.create", hostId, name, "create pools", $"dir {directory}{(autostart ? ", autostart" : "")}"), hostId, connection =>
        {
            ImageNames.Require(name, "pool");
            directory = operations.Roots.RequirePoolDirectory(connection, directory);

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
                throw new ImageException($"A pool named {name} or using {directory} already exists: {operations.Roots.Redact(e.Message)}", ImageFailure.Conflict);
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
        operations.PoolActionAsync(user, new("pool.start", AccessPaths.Pool(hostId, poolName), "start pools"), hostId, poolName, (_, pool) =>
        {
            operations.Roots.RequireInside(pool, "start it");
            pool.Start();
        });

    public Task StopPoolAsync(ClaimsPrincipal user, Guid hostId, string poolName) =>
        operations.PoolActionAsync(user, new("pool.stop", AccessPaths.Pool(hostId, poolName), "stop pools"), hostId, poolName, (connection, pool) =>
        {
            operations.Roots.RequireInside(pool, "stop it");
            RequirePoolUnused(connection, pool, "stop");
            pool.Stop();
        });

    public Task RefreshPoolAsync(ClaimsPrincipal user, Guid hostId, string poolName) =>
        operations.PoolActionAsync(user, new("pool.refresh", AccessPaths.Pool(hostId, poolName), "refresh pools"), hostId, poolName, (_, pool) => pool.Refresh());

    public Task SetAutostartAsync(ClaimsPrincipal user, Guid hostId, string poolName, bool autostart) =>
        operations.PoolActionAsync(user, new("pool.autostart", AccessPaths.Pool(hostId, poolName), "change pools", autostart ? "on" : "off"), hostId, poolName, (_, pool) =>
        {
            operations.Roots.RequireInside(pool, "change its autostart");
            pool.Autostart = autostart;
        });

    /// <summary>
    /// Deletes an empty pool (Administrators of the host): stops it, removes its directory and forgets it. A pool with
    /// volumes is refused, so is a pool outside the storage roots; a pool on a root itself keeps that directory.
    /// </summary>
    public Task DeletePoolAsync(ClaimsPrincipal user, Guid hostId, string poolName) =>
        operations.RunAsync(user, HostWide("pool.delete", hostId, poolName, "delete pools"), hostId, connection =>
        {
            using var pool = FindPool(connection, poolName);
            operations.Roots.RequireInside(pool, "delete it");
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

            if (definition.Type == "dir" && !(StorageRoots.AppliesTo(connection) && operations.Roots.IsRoot(definition.TargetPath)))
            {
                pool.Delete();
            }

            if (pool.IsPersistent)
            {
                pool.Undefine();
            }

            return (pool.Uuid, "");
        }, wholeHost: true);
}

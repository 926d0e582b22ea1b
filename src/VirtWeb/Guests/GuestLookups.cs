namespace VirtWeb.Guests;

/// <summary>Finding a host's connection, a guest or a disk's volume, with the refusals the guest services show.</summary>
internal static class GuestLookups
{
    /// <summary>The host's connection; an unreachable host is refused like any other guest action.</summary>
    public static LibvirtConnection GuestConnection(this IHostConnections hostConnections, Guid hostId)
    {
        try
        {
            return hostConnections.GetConnection(hostId);
        }
        catch (HostUnavailableException e)
        {
            throw new GuestActionException(e.Message, e);
        }
    }

    public static LibvirtDomain Domain(LibvirtConnection connection, Guid uuid)
    {
        try
        {
            return connection.GetDomainByUuid(uuid);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            throw new GuestActionException("This guest no longer exists; someone deleted it.", e);
        }
    }

    public static bool DomainExists(LibvirtConnection connection, string name) =>
        Exists(() => connection.GetDomainByName(name), LibvirtErrorCode.NoDomain);

    public static bool VolumeExists(LibvirtStoragePool pool, string name) =>
        Exists(() => pool.GetVolumeByName(name), LibvirtErrorCode.NoStorageVol);

    private static bool Exists(Func<IDisposable> lookUp, LibvirtErrorCode missing)
    {
        try
        {
            lookUp().Dispose();
            return true;
        }
        catch (LibvirtException e) when (e.Code == missing)
        {
            return false;
        }
    }

    /// <summary>The storage volume behind a disk, or null when it is not one VirtWeb can reach through a pool.</summary>
    public static LibvirtStorageVolume? FindVolume(LibvirtConnection connection, DomainDisk disk)
    {
        try
        {
            if (disk.SourcePool is { } pool && disk.SourceVolume is { } volume)
            {
                using var storagePool = connection.GetStoragePoolByName(pool);
                return storagePool.GetVolumeByName(volume);
            }

            var path = disk.SourceFile ?? disk.SourceDevice;
            return path is null ? null : connection.GetStorageVolumeByPath(path);
        }
        catch (LibvirtException)
        {
            return null;
        }
    }
}

namespace VirtWeb.Images;

/// <summary>
/// A pool whose file system filled while VirtWeb wrote into it (an upload, a full copy, a snapshot). libvirt and QEMU
/// pass the host's ENOSPC on in their own words ("No space left on device", in a stream error, a qemu-img or a QEMU
/// message); VirtWeb says instead which pool filled, what was removed again, and what to do.
/// </summary>
public static class PoolFull
{
    private const int Enospc = 28;
    private const int Edquot = 122;

    /// <summary>Whether <paramref name="error"/> (or what it wraps) is the host's file system running out of space or quota.</summary>
    public static bool Is(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase)
                || e is IOException { HResult: Enospc or Edquot })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The message for a pool that filled while <paramref name="doing"/>; <paramref name="undone"/> says what is not left behind.</summary>
    public static string Message(string pool, string doing, string undone) =>
        $"Pool {pool} ran out of space while {doing}; {undone}. Free space in pool {pool} (delete volumes or files it no longer needs) or use another pool, then try again.";

    /// <summary>
    /// Runs a copy libvirt makes into <paramref name="pool"/> as volume <paramref name="volumeName"/> (a clone, a
    /// conversion). When the pool fills, what libvirt left of the volume is removed and the refusal says so.
    /// </summary>
    internal static LibvirtStorageVolume CopyInto(LibvirtStoragePool pool, string volumeName, Func<LibvirtStorageVolume> copy) =>
        MakeIn(pool, volumeName, $"copying into {volumeName}", copy);

    /// <summary>Like <see cref="CopyInto"/> for any volume libvirt writes as it makes it; <paramref name="doing"/> completes "ran out of space while".</summary>
    internal static LibvirtStorageVolume MakeIn(LibvirtStoragePool pool, string volumeName, string doing, Func<LibvirtStorageVolume> make)
    {
        try
        {
            return make();
        }
        catch (LibvirtException e) when (Is(e))
        {
            throw new ImageException(Message(pool.Name, doing, RemoveLeft(pool, volumeName)), ImageFailure.TooLarge);
        }
    }

    /// <summary>Deletes what a write that ran out of space left as <paramref name="volumeName"/>; says what became of it.</summary>
    internal static string RemoveLeft(LibvirtStoragePool pool, string volumeName)
    {
        ImageOperations.TryRefresh(pool);
        try
        {
            using var left = pool.GetVolumeByName(volumeName);
            left.Delete();
            ImageOperations.TryRefresh(pool);
            return "the partial volume was removed";
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStorageVol)
        {
            return "nothing of the new volume was kept";
        }
        catch (LibvirtException)
        {
            return $"the partial volume {volumeName} could not be removed: delete it on the Images page";
        }
    }

    /// <summary>The refusal, before anything is made, of a write of about <paramref name="need"/> bytes into a pool with less free.</summary>
    public static string NotEnough(string pool, ulong available, ulong need, string what) =>
        $"Pool {pool} has {ImageNames.Bytes(available)} free, but {what} needs about {ImageNames.Bytes(need)}. Free space in pool {pool} (delete volumes or files it no longer needs) or use another pool, then try again.";
}

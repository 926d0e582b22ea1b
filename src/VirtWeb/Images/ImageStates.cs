namespace VirtWeb.Images;

/// <summary>
/// A storage pool as the Images page shows it; sizes in bytes. <see cref="OutsideRoots"/>: another tool defined it
/// outside VirtWeb's storage roots, so VirtWeb shows it and its volumes but changes, reads and attaches none of them.
/// </summary>
public sealed record PoolState(
    Guid HostId,
    string HostName,
    Guid Uuid,
    string Name,
    string Type,
    StoragePoolState State,
    bool Autostart,
    bool Persistent,
    ulong CapacityBytes,
    ulong AllocationBytes,
    ulong AvailableBytes,
    string? TargetPath,
    bool OutsideRoots = false) : Live.ILiveItem
{
    public string Key => KeyOf(HostId, Uuid);

    /// <summary>Where grants on this pool are given (see <see cref="Access.AccessPolicy"/>).</summary>
    public string AccessPath => Access.AccessPaths.Pool(HostId, Name);

    public bool IsActive => State is StoragePoolState.Running or StoragePoolState.Degraded;

    /// <summary>Share of the pool in use, 0 to 100, for the usage bar.</summary>
    public double UsedPercent => CapacityBytes == 0 ? 0 : Math.Min(100, 100.0 * AllocationBytes / CapacityBytes);

    public static string KeyOf(Guid hostId, Guid poolUuid) => $"{hostId}/{poolUuid}";
}

/// <summary>
/// A volume: <see cref="CapacityBytes"/> is the virtual size the guest sees, <see cref="AllocationBytes"/> what it
/// takes on the host (small for a fresh qcow2, all of it for a preallocated raw). <see cref="BackingChain"/> lists the
/// backing files from the nearest to the base; <see cref="UsedBy"/> names the guests whose disks point at it.
/// </summary>
public sealed record VolumeState(
    Guid HostId,
    Guid PoolUuid,
    string PoolName,
    string Name,
    string Path,
    string? Format,
    StorageVolumeType Type,
    ulong CapacityBytes,
    ulong AllocationBytes,
    IReadOnlyList<string> BackingChain,
    IReadOnlyList<string> UsedBy) : Live.ILiveItem
{
    public string Key => KeyOf(HostId, Path);

    /// <summary>A volume has no grants of its own: it goes with its pool.</summary>
    public string AccessPath => Access.AccessPaths.Pool(HostId, PoolName);

    public string PoolKey => PoolState.KeyOf(HostId, PoolUuid);

    public bool IsIso => string.Equals(Format, "iso", StringComparison.OrdinalIgnoreCase)
        || Name.EndsWith(".iso", StringComparison.OrdinalIgnoreCase);

    public bool IsCopyOnWrite => string.Equals(Format, "qcow2", StringComparison.OrdinalIgnoreCase);

    public static string KeyOf(Guid hostId, string path) => $"{hostId}|{path}";
}

namespace VirtWeb.Libvirt;

/// <summary><c>virNodeGetInfo</c>: the host's processors and memory as the hypervisor sees them.</summary>
public sealed record NodeInfo(string CpuModel, ulong MemoryKiB, int Cpus, int Mhz, int NumaNodes, int Sockets, int Cores, int Threads);

/// <summary><c>virDomainGetState</c>: the state and its reason (a value of the reason enum matching the state).</summary>
public sealed record DomainStateInfo(DomainState State, int RawReason)
{
    public Enum Reason => State switch
    {
        DomainState.NoState => (DomainNoStateReason)RawReason,
        DomainState.Running => (DomainRunningReason)RawReason,
        DomainState.Blocked => (DomainBlockedReason)RawReason,
        DomainState.Paused => (DomainPausedReason)RawReason,
        DomainState.Shutdown => (DomainShutdownReason)RawReason,
        DomainState.Shutoff => (DomainShutoffReason)RawReason,
        DomainState.Crashed => (DomainCrashedReason)RawReason,
        DomainState.PMSuspended => (DomainPMSuspendedReason)RawReason,
        _ => State,
    };
}

/// <summary><c>virDomainGetInfo</c>.</summary>
public sealed record DomainInfo(DomainState State, ulong MaxMemoryKiB, ulong MemoryKiB, int VirtualCpus, TimeSpan CpuTime);

/// <summary><c>virStoragePoolGetInfo</c>; sizes in bytes.</summary>
public sealed record StoragePoolInfo(StoragePoolState State, ulong CapacityBytes, ulong AllocationBytes, ulong AvailableBytes);

/// <summary>
/// <c>virStorageVolGetInfo</c>; sizes in bytes. Capacity is the virtual size the guest sees;
/// allocation is what the image occupies on the host (small for a fresh qcow2, all of it for raw).
/// </summary>
public sealed record StorageVolumeInfo(StorageVolumeType Type, ulong CapacityBytes, ulong AllocationBytes);

[Flags]
public enum StorageXmlFlags
{
    None = 0,
    /// <summary>The persistent (inactive) definition rather than the live one.</summary>
    Inactive = 1,
}

[Flags]
public enum DomainDeviceModifyFlags
{
    /// <summary>Affect the current state: live if running, persistent config otherwise.</summary>
    Current = 0,
    Live = 1,
    Config = 2,
    Force = 4,
}

namespace VirtWeb.Libvirt;

/// <summary>
/// Something libvirt reported. <see cref="Sequence"/> grows by one per event in the process, so a
/// consumer can tell a newer event from an older snapshot.
/// </summary>
public abstract record LibvirtEvent
{
    public long Sequence { get; init; }
}

/// <summary>The domain events one can subscribe to; values are libvirt's <c>VIR_DOMAIN_EVENT_ID_*</c>.</summary>
public enum DomainEventKind
{
    Lifecycle = 0,
    Reboot = 1,
    DeviceRemoved = 15,
    AgentLifecycle = 18,
    DeviceAdded = 19,
}

/// <summary>The storage pool events one can subscribe to; values are <c>VIR_STORAGE_POOL_EVENT_ID_*</c>.</summary>
public enum StoragePoolEventKind
{
    Lifecycle = 0,
    Refresh = 1,
}

public abstract record DomainEvent(string DomainName, Guid DomainUuid) : LibvirtEvent;

/// <summary>A lifecycle transition; <see cref="Detail"/> is the matching detail enum for <see cref="Type"/>.</summary>
public sealed record DomainLifecycleEvent(string DomainName, Guid DomainUuid, DomainLifecycleEventType Type, int RawDetail)
    : DomainEvent(DomainName, DomainUuid)
{
    public Enum Detail => Type switch
    {
        DomainLifecycleEventType.Defined => (DomainDefinedDetail)RawDetail,
        DomainLifecycleEventType.Undefined => (DomainUndefinedDetail)RawDetail,
        DomainLifecycleEventType.Started => (DomainStartedDetail)RawDetail,
        DomainLifecycleEventType.Suspended => (DomainSuspendedDetail)RawDetail,
        DomainLifecycleEventType.Resumed => (DomainResumedDetail)RawDetail,
        DomainLifecycleEventType.Stopped => (DomainStoppedDetail)RawDetail,
        DomainLifecycleEventType.Shutdown => (DomainShutdownDetail)RawDetail,
        DomainLifecycleEventType.PMSuspended => (DomainPMSuspendedDetail)RawDetail,
        DomainLifecycleEventType.Crashed => (DomainCrashedDetail)RawDetail,
        _ => Type,
    };
}

public sealed record DomainRebootEvent(string DomainName, Guid DomainUuid) : DomainEvent(DomainName, DomainUuid);

public sealed record DomainDeviceAddedEvent(string DomainName, Guid DomainUuid, string DeviceAlias) : DomainEvent(DomainName, DomainUuid);

public sealed record DomainDeviceRemovedEvent(string DomainName, Guid DomainUuid, string DeviceAlias) : DomainEvent(DomainName, DomainUuid);

public sealed record DomainAgentLifecycleEvent(string DomainName, Guid DomainUuid, AgentLifecycleState State, AgentLifecycleReason Reason)
    : DomainEvent(DomainName, DomainUuid);

public abstract record StoragePoolEvent(string PoolName, Guid PoolUuid) : LibvirtEvent;

public sealed record StoragePoolLifecycleEvent(string PoolName, Guid PoolUuid, StoragePoolLifecycleEventType Type, int Detail)
    : StoragePoolEvent(PoolName, PoolUuid);

public sealed record StoragePoolRefreshEvent(string PoolName, Guid PoolUuid) : StoragePoolEvent(PoolName, PoolUuid);

/// <summary>Why libvirt closed a connection (reported through <see cref="LibvirtConnection.Closed"/>).</summary>
public sealed class ConnectionClosedEventArgs(ConnectionCloseReason reason) : EventArgs
{
    public ConnectionCloseReason Reason { get; } = reason;
}

// Transcribed once from the libvirt 9.0 headers (libvirt-dev) by a throwaway script; the values
// are libvirt's stable ABI, so new libvirt releases only ever append members.
namespace VirtWeb.Libvirt;

public enum DomainState
{
    NoState = 0,
    Running = 1,
    Blocked = 2,
    Paused = 3,
    Shutdown = 4,
    Shutoff = 5,
    Crashed = 6,
    PMSuspended = 7,
}

public enum DomainNoStateReason
{
    Unknown = 0,
}

public enum DomainRunningReason
{
    Unknown = 0,
    Booted = 1,
    Migrated = 2,
    Restored = 3,
    FromSnapshot = 4,
    Unpaused = 5,
    MigrationCanceled = 6,
    SaveCanceled = 7,
    Wakeup = 8,
    Crashed = 9,
    Postcopy = 10,
    PostcopyFailed = 11,
}

public enum DomainBlockedReason
{
    Unknown = 0,
}

public enum DomainPausedReason
{
    Unknown = 0,
    User = 1,
    Migration = 2,
    Save = 3,
    Dump = 4,
    IOError = 5,
    Watchdog = 6,
    FromSnapshot = 7,
    ShuttingDown = 8,
    Snapshot = 9,
    Crashed = 10,
    StartingUp = 11,
    Postcopy = 12,
    PostcopyFailed = 13,
}

public enum DomainShutdownReason
{
    Unknown = 0,
    User = 1,
}

public enum DomainShutoffReason
{
    Unknown = 0,
    Shutdown = 1,
    Destroyed = 2,
    Crashed = 3,
    Migrated = 4,
    Saved = 5,
    Failed = 6,
    FromSnapshot = 7,
    Daemon = 8,
}

public enum DomainCrashedReason
{
    Unknown = 0,
    Panicked = 1,
}

public enum DomainPMSuspendedReason
{
    Unknown = 0,
}

[Flags]
public enum DomainListFlags
{
    None = 0,
    Active = 1,
    Inactive = 2,
    Persistent = 4,
    Transient = 8,
    Running = 16,
    Paused = 32,
    Shutoff = 64,
    Other = 128,
    Managedsave = 256,
    NoManagedsave = 512,
    Autostart = 1024,
    NoAutostart = 2048,
    HasSnapshot = 4096,
    NoSnapshot = 8192,
    HasCheckpoint = 16384,
    NoCheckpoint = 32768,
}

[Flags]
public enum DomainXmlFlags
{
    None = 0,
    Secure = 1,
    Inactive = 2,
    UpdateCpu = 4,
    Migratable = 8,
}

[Flags]
public enum DomainDefineFlags
{
    None = 0,
    Validate = 1,
}

[Flags]
public enum DomainUndefineFlags
{
    None = 0,
    ManagedSave = 1,
    SnapshotsMetadata = 2,
    Nvram = 4,
    KeepNvram = 8,
    CheckpointsMetadata = 16,
    Tpm = 32,
    KeepTpm = 64,
}

[Flags]
public enum DomainShutdownFlags
{
    Default = 0,
    AcpiPowerButton = 1,
    GuestAgent = 2,
    InitCtl = 4,
    Signal = 8,
    Paravirt = 16,
}

[Flags]
public enum DomainRebootFlags
{
    Default = 0,
    AcpiPowerButton = 1,
    GuestAgent = 2,
    InitCtl = 4,
    Signal = 8,
    Paravirt = 16,
}

public enum DomainLifecycleEventType
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Suspended = 3,
    Resumed = 4,
    Stopped = 5,
    Shutdown = 6,
    PMSuspended = 7,
    Crashed = 8,
}

public enum DomainDefinedDetail
{
    Added = 0,
    Updated = 1,
    Renamed = 2,
    FromSnapshot = 3,
}

public enum DomainUndefinedDetail
{
    Removed = 0,
    Renamed = 1,
}

public enum DomainStartedDetail
{
    Booted = 0,
    Migrated = 1,
    Restored = 2,
    FromSnapshot = 3,
    Wakeup = 4,
}

public enum DomainSuspendedDetail
{
    Paused = 0,
    Migrated = 1,
    IOError = 2,
    Watchdog = 3,
    Restored = 4,
    FromSnapshot = 5,
    ApiError = 6,
    Postcopy = 7,
    PostcopyFailed = 8,
}

public enum DomainResumedDetail
{
    Unpaused = 0,
    Migrated = 1,
    FromSnapshot = 2,
    Postcopy = 3,
    PostcopyFailed = 4,
}

public enum DomainStoppedDetail
{
    Shutdown = 0,
    Destroyed = 1,
    Crashed = 2,
    Migrated = 3,
    Saved = 4,
    Failed = 5,
    FromSnapshot = 6,
}

public enum DomainShutdownDetail
{
    Finished = 0,
    Guest = 1,
    Host = 2,
}

public enum DomainPMSuspendedDetail
{
    Memory = 0,
    Disk = 1,
}

public enum DomainCrashedDetail
{
    Panicked = 0,
    Crashloaded = 1,
}

public enum AgentLifecycleState
{
    Connected = 1,
    Disconnected = 2,
}

public enum AgentLifecycleReason
{
    Unknown = 0,
    DomainStarted = 1,
    Channel = 2,
}

[Flags]
public enum DomainStatsTypes
{
    None = 0,
    State = 1,
    CpuTotal = 2,
    Balloon = 4,
    Vcpu = 8,
    Interface = 16,
    Block = 32,
    Perf = 64,
    Iothread = 128,
    Memory = 256,
    Dirtyrate = 512,
    Vm = 1024,
}

[Flags]
public enum DomainStatsFlags : uint
{
    None = 0,
    Active = 1,
    Inactive = 2,
    Persistent = 4,
    Transient = 8,
    Running = 16,
    Paused = 32,
    Shutoff = 64,
    Other = 128,
    NoWait = 536870912,
    Backing = 1073741824,
    EnforceStats = 2147483648,
}

internal enum TypedParameterType
{
    Int = 1,
    Uint = 2,
    Llong = 3,
    Ullong = 4,
    Double = 5,
    Boolean = 6,
    String = 7,
}


/// <summary>Timeouts, in seconds, understood by <c>virDomainQemuAgentCommand</c> besides a positive number.</summary>
public static class QemuAgentTimeout
{
    /// <summary>Wait for ever.</summary>
    public const int Block = -2;
    /// <summary>libvirt's default (currently 5 seconds).</summary>
    public const int Default = -1;
    /// <summary>Do not wait for the reply.</summary>
    public const int NoWait = 0;
}

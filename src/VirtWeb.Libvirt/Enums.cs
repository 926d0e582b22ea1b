// Transcribed once from the libvirt 9.0 headers (libvirt-dev) by a throwaway script; the values
// are libvirt's stable ABI, so new libvirt releases only ever append members.
namespace VirtWeb.Libvirt;

public enum LibvirtErrorCode
{
    Ok = 0,
    InternalError = 1,
    NoMemory = 2,
    NoSupport = 3,
    UnknownHost = 4,
    NoConnect = 5,
    InvalidConn = 6,
    InvalidDomain = 7,
    InvalidArg = 8,
    OperationFailed = 9,
    GetFailed = 10,
    PostFailed = 11,
    HttpError = 12,
    SexprSerial = 13,
    NoXen = 14,
    XenCall = 15,
    OsType = 16,
    NoKernel = 17,
    NoRoot = 18,
    NoSource = 19,
    NoTarget = 20,
    NoName = 21,
    NoOs = 22,
    NoDevice = 23,
    NoXenstore = 24,
    DriverFull = 25,
    CallFailed = 26,
    XmlError = 27,
    DomExist = 28,
    OperationDenied = 29,
    OpenFailed = 30,
    ReadFailed = 31,
    ParseFailed = 32,
    ConfSyntax = 33,
    WriteFailed = 34,
    XmlDetail = 35,
    InvalidNetwork = 36,
    NetworkExist = 37,
    SystemError = 38,
    Rpc = 39,
    GnutlsError = 40,
    WarningNoNetwork = 41,
    NoDomain = 42,
    NoNetwork = 43,
    InvalidMac = 44,
    AuthFailed = 45,
    InvalidStoragePool = 46,
    InvalidStorageVol = 47,
    WarningNoStorage = 48,
    NoStoragePool = 49,
    NoStorageVol = 50,
    WarningNoNode = 51,
    InvalidNodeDevice = 52,
    NoNodeDevice = 53,
    NoSecurityModel = 54,
    OperationInvalid = 55,
    WarningNoInterface = 56,
    NoInterface = 57,
    InvalidInterface = 58,
    MultipleInterfaces = 59,
    WarningNoNwfilter = 60,
    InvalidNwfilter = 61,
    NoNwfilter = 62,
    BuildFirewall = 63,
    WarningNoSecret = 64,
    InvalidSecret = 65,
    NoSecret = 66,
    ConfigUnsupported = 67,
    OperationTimeout = 68,
    MigratePersistFailed = 69,
    HookScriptFailed = 70,
    InvalidDomainSnapshot = 71,
    NoDomainSnapshot = 72,
    InvalidStream = 73,
    ArgumentUnsupported = 74,
    StorageProbeFailed = 75,
    StoragePoolBuilt = 76,
    SnapshotRevertRisky = 77,
    OperationAborted = 78,
    AuthCancelled = 79,
    NoDomainMetadata = 80,
    MigrateUnsafe = 81,
    Overflow = 82,
    BlockCopyActive = 83,
    OperationUnsupported = 84,
    Ssh = 85,
    AgentUnresponsive = 86,
    ResourceBusy = 87,
    AccessDenied = 88,
    DbusService = 89,
    StorageVolExist = 90,
    CpuIncompatible = 91,
    XmlInvalidSchema = 92,
    MigrateFinishOk = 93,
    AuthUnavailable = 94,
    NoServer = 95,
    NoClient = 96,
    AgentUnsynced = 97,
    Libssh = 98,
    DeviceMissing = 99,
    InvalidNwfilterBinding = 100,
    NoNwfilterBinding = 101,
    InvalidDomainCheckpoint = 102,
    NoDomainCheckpoint = 103,
    NoDomainBackup = 104,
    InvalidNetworkPort = 105,
    NetworkPortExist = 106,
    NoNetworkPort = 107,
    NoHostname = 108,
    CheckpointInconsistent = 109,
    MultipleDomains = 110,
}

public enum LibvirtErrorDomain
{
    None = 0,
    Xen = 1,
    Xend = 2,
    Xenstore = 3,
    Sexpr = 4,
    Xml = 5,
    Dom = 6,
    Rpc = 7,
    Proxy = 8,
    Conf = 9,
    Qemu = 10,
    Net = 11,
    Test = 12,
    Remote = 13,
    Openvz = 14,
    Xenxm = 15,
    StatsLinux = 16,
    Lxc = 17,
    Storage = 18,
    Network = 19,
    Domain = 20,
    Uml = 21,
    Nodedev = 22,
    XenInotify = 23,
    Security = 24,
    Vbox = 25,
    Interface = 26,
    One = 27,
    Esx = 28,
    Phyp = 29,
    Secret = 30,
    Cpu = 31,
    Xenapi = 32,
    Nwfilter = 33,
    Hook = 34,
    DomainSnapshot = 35,
    Audit = 36,
    Sysinfo = 37,
    Streams = 38,
    Vmware = 39,
    Event = 40,
    Libxl = 41,
    Locking = 42,
    Hyperv = 43,
    Capabilities = 44,
    Uri = 45,
    Auth = 46,
    Dbus = 47,
    Parallels = 48,
    Device = 49,
    Ssh = 50,
    Lockspace = 51,
    InitCtl = 52,
    Identity = 53,
    Cgroup = 54,
    Access = 55,
    Systemd = 56,
    Bhyve = 57,
    Crypto = 58,
    Firewall = 59,
    Polkit = 60,
    Thread = 61,
    Admin = 62,
    Logging = 63,
    Xenxl = 64,
    Perf = 65,
    Libssh = 66,
    Resctrl = 67,
    Firewalld = 68,
    DomainCheckpoint = 69,
    Tpm = 70,
    Bpf = 71,
    Ch = 72,
}

[Flags]
public enum ConnectFlags
{
    None = 0,
    ReadOnly = 1,
    NoAliases = 2,
}

public enum CredentialType
{
    Username = 1,
    AuthName = 2,
    Language = 3,
    CNonce = 4,
    Passphrase = 5,
    EchoPrompt = 6,
    NoEchoPrompt = 7,
    Realm = 8,
    External = 9,
}

public enum ConnectionCloseReason
{
    Error = 0,
    Eof = 1,
    Keepalive = 2,
    Client = 3,
}

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

public enum StoragePoolState
{
    Inactive = 0,
    Building = 1,
    Running = 2,
    Degraded = 3,
    Inaccessible = 4,
}

[Flags]
public enum StoragePoolListFlags
{
    None = 0,
    Inactive = 1,
    Active = 2,
    Persistent = 4,
    Transient = 8,
    Autostart = 16,
    NoAutostart = 32,
    Dir = 64,
    Fs = 128,
    Netfs = 256,
    Logical = 512,
    Disk = 1024,
    Iscsi = 2048,
    Scsi = 4096,
    Mpath = 8192,
    Rbd = 16384,
    Sheepdog = 32768,
    Gluster = 65536,
    Zfs = 131072,
    Vstorage = 262144,
    IscsiDirect = 524288,
}

[Flags]
public enum StoragePoolBuildFlags
{
    New = 0,
    Repair = 1,
    Resize = 2,
    NoOverwrite = 4,
    Overwrite = 8,
}

[Flags]
public enum StoragePoolDeleteFlags
{
    Normal = 0,
    Zeroed = 1,
}

public enum StorageVolumeType
{
    File = 0,
    Block = 1,
    Dir = 2,
    Network = 3,
    NetDir = 4,
    Ploop = 5,
}

[Flags]
public enum StorageVolumeCreateFlags
{
    None = 0,
    PreallocMetadata = 1,
    Reflink = 2,
    Validate = 4,
}

[Flags]
public enum StorageVolumeDeleteFlags
{
    Normal = 0,
    Zeroed = 1,
    WithSnapshots = 2,
}

[Flags]
public enum StorageVolumeResizeFlags
{
    None = 0,
    Allocate = 1,
    Delta = 2,
    Shrink = 4,
}

public enum StorageVolumeWipeAlgorithm
{
    Zero = 0,
    Nnsa = 1,
    Dod = 2,
    Bsi = 3,
    Gutmann = 4,
    Schneier = 5,
    Pfitzner7 = 6,
    Pfitzner33 = 7,
    Random = 8,
    Trim = 9,
}

public enum StoragePoolLifecycleEventType
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Stopped = 3,
    Created = 4,
    Deleted = 5,
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

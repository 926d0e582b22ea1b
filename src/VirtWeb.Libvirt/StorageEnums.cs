// Transcribed once from the libvirt 9.0 headers (libvirt-dev) by a throwaway script; the values
// are libvirt's stable ABI, so new libvirt releases only ever append members.
namespace VirtWeb.Libvirt;

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

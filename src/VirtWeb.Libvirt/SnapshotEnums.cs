namespace VirtWeb.Libvirt;

[Flags]
public enum SnapshotCreateFlags : uint
{
    None = 0,
    Redefine = 1,
    Current = 2,
    NoMetadata = 4,
    Halt = 8,
    DiskOnly = 16,
    ReuseExternal = 32,
    Quiesce = 64,
    Atomic = 128,
    Live = 256,
    Validate = 512,
}

[Flags]
public enum SnapshotListFlags : uint
{
    None = 0,
    /// <summary>Only snapshots without a parent (on the list call; on a children call it means descendants).</summary>
    Roots = 1,
    Metadata = 2,
    Leaves = 4,
    NoLeaves = 8,
    NoMetadata = 16,
    Inactive = 32,
    Active = 64,
    DiskOnly = 128,
    Internal = 256,
    External = 512,
    Topological = 1024,
}

[Flags]
public enum SnapshotRevertFlags : uint
{
    None = 0,
    Running = 1,
    Paused = 2,
    Force = 4,
    ResetNested = 8,
}

[Flags]
public enum SnapshotDeleteFlags : uint
{
    None = 0,
    Children = 1,
    MetadataOnly = 2,
    ChildrenOnly = 4,
}

[Flags]
public enum BlockCommitFlags : uint
{
    None = 0,
    Shallow = 1,
    Delete = 2,
    /// <summary>Commits the active layer; the job then waits in the ready state until it is pivoted or aborted.</summary>
    Active = 4,
    Relative = 8,
    BandwidthBytes = 16,
}

[Flags]
public enum BlockJobAbortFlags : uint
{
    None = 0,
    Async = 1,
    /// <summary>Ends a ready copy or active commit by switching the disk to the job's result.</summary>
    Pivot = 2,
}

public enum BlockJobType
{
    Unknown = 0,
    Pull = 1,
    Copy = 2,
    Commit = 3,
    ActiveCommit = 4,
    Backup = 5,
}

/// <summary>A running block job on one disk: <see cref="Cur"/> of <see cref="End"/> units done.</summary>
public sealed record BlockJobInfo(BlockJobType Type, ulong Cur, ulong End);

[Flags]
public enum DomainCreateFlags : uint
{
    None = 0,
    StartPaused = 1,
    AutoDestroy = 2,
    BypassCache = 4,
    ForceBoot = 8,
    Validate = 16,
    ResetNvram = 32,
}

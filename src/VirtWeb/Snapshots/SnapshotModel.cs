namespace VirtWeb.Snapshots;

/// <summary>Where a snapshot keeps the disks: inside each qcow2 (internal) or in new overlay files (external).</summary>
public enum SnapshotKind
{
    Internal,
    External,
}

/// <summary>What a snapshot brings back: a running machine with its memory, only the disks of a running one, or a shut-off one.</summary>
public enum SnapshotMode
{
    RunningWithMemory,
    DiskOnly,
    ShutOff,
}

/// <summary>One disk in a snapshot: internal, or external with the overlay file it started and the bytes that file takes now.</summary>
public sealed record SnapshotDiskState(string Target, SnapshotKind Kind, string? OverlayPath, ulong? OverlayAllocationBytes);

/// <summary>A snapshot as the Snapshots tab shows it.</summary>
public sealed record GuestSnapshot(
    string Name,
    string? Description,
    string? Parent,
    DateTimeOffset? CreatedAt,
    SnapshotMode Mode,
    SnapshotKind Kind,
    bool IsCurrent,
    IReadOnlyList<SnapshotDiskState> Disks,
    ulong? MemoryBytes)
{
    /// <summary>Bytes it takes that can be measured: its overlays' allocation (internal snapshots live inside the qcow2, which libvirt does not break down).</summary>
    public ulong? SizeBytes => Kind == SnapshotKind.External && Disks.All(d => d.OverlayAllocationBytes is not null)
        ? Disks.Aggregate(0UL, (sum, d) => sum + (d.OverlayAllocationBytes ?? 0))
        : null;

    /// <summary>Internal: the memory state bytes its qcow2 snapshot table records (0 without memory), read by <see cref="SnapshotMemoryState"/>.</summary>
    public ulong? SavedMemoryBytes { get; init; }

    /// <summary>Internal: why <see cref="SavedMemoryBytes"/> could not be read.</summary>
    public string? SavedMemoryUnknown { get; init; }
}

/// <summary>Every snapshot of one guest, in libvirt's topological order (parents before children).</summary>
public sealed record SnapshotTree(Guid HostId, Guid Uuid, IReadOnlyList<GuestSnapshot> Snapshots)
{
    public static SnapshotTree Empty(Guid hostId, Guid uuid) => new(hostId, uuid, []);

    /// <summary>Overlays on the guest's disks that no snapshot names and no guest uses: what a create cut off half-way leaves (see <see cref="SnapshotLeftovers"/>).</summary>
    public IReadOnlyList<string> Leftovers { get; init; } = [];

    /// <summary>What VirtWeb found and did after a create libvirtd stopped during (see <see cref="SnapshotRepairs"/>).</summary>
    public IReadOnlyList<SnapshotRepairNote> Repairs { get; init; } = [];

    public string GuestKey => Guests.GuestState.KeyOf(HostId, Uuid);

    public GuestSnapshot? Find(string name) => Snapshots.FirstOrDefault(s => s.Name == name);

    public GuestSnapshot? Current => Snapshots.FirstOrDefault(s => s.IsCurrent);

    public IEnumerable<GuestSnapshot> Roots => Snapshots.Where(s => s.Parent is null || Find(s.Parent) is null);

    public IEnumerable<GuestSnapshot> ChildrenOf(string name) => Snapshots.Where(s => s.Parent == name);

    public IEnumerable<GuestSnapshot> DescendantsOf(string name) => ChildrenOf(name).SelectMany(c => DescendantsOf(c.Name).Prepend(c));

    /// <summary>Each snapshot with its depth, parents first, for drawing the tree as an indented list.</summary>
    public IEnumerable<(GuestSnapshot Snapshot, int Depth)> Walk()
    {
        IEnumerable<(GuestSnapshot, int)> Below(GuestSnapshot snapshot, int depth) =>
            ChildrenOf(snapshot.Name).SelectMany(c => Below(c, depth + 1).Prepend((c, depth + 1)));
        return Roots.SelectMany(r => Below(r, 0).Prepend((r, 0)));
    }
}

/// <summary>What the create form asks for.</summary>
public sealed record SnapshotCreateInput(string Name, string? Description, SnapshotKind Kind, bool WithMemory);

/// <summary>
/// What a snapshot would cost before it is taken: where it goes, the free space there against the estimate, and
/// whether it can be taken at all (<see cref="Refusal"/> says why not and what works instead).
/// </summary>
public sealed record SnapshotCost(
    SnapshotKind Kind,
    bool WithMemory,
    string? PoolName,
    ulong? PoolAvailableBytes,
    ulong EstimateBytes,
    bool Quiesce,
    string? Refusal,
    IReadOnlyList<SnapshotKind> KindsPossible)
{
    public bool Fits => PoolAvailableBytes is not { } available || available >= EstimateBytes;
}

/// <summary>The line difference between a snapshot's saved definition and the guest's present one.</summary>
public sealed record SnapshotComparison(string SnapshotName, string SnapshotXml, string CurrentXml, IReadOnlyList<Guests.DiffLine> Lines);

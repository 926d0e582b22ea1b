using VirtWeb.Images;

namespace VirtWeb.Snapshots;

/// <summary>How the Snapshots tab words a snapshot, teaching what each kind and state means.</summary>
public static class SnapshotText
{
    public static string Mode(SnapshotMode mode) => mode switch
    {
        SnapshotMode.RunningWithMemory => "running, with memory",
        SnapshotMode.DiskOnly => "disk only (taken running)",
        _ => "shut off",
    };

    public static string Kind(SnapshotKind kind) => kind == SnapshotKind.Internal ? "internal, in the qcow2" : "external overlay";

    public static string KindExplanation(SnapshotKind kind) => kind == SnapshotKind.Internal
        ? "Internal: kept inside each disk's qcow2 file, next to the data; nothing new appears in the pool."
        : "External: the disk file is frozen as it is and the guest writes into a new qcow2 overlay on top of it " +
          "(copy-on-write, shown in the Images page's backing chain). Deleting the snapshot merges the overlay back.";

    /// <summary>What the disk part of an internal snapshot takes: no number exists for it, so say how it behaves.</summary>
    public const string InternalDiskPart =
        "disk: shares clusters with the live disk, grows as either is written after it (like an overlay)";

    public static string Size(GuestSnapshot snapshot) => snapshot.SizeBytes is { } bytes
        ? ImageNames.Bytes(bytes)
        : snapshot.Kind == SnapshotKind.Internal
            ? $"{InternalMemory(snapshot)}; {InternalDiskPart}"
            : "not measured yet";

    private static string InternalMemory(GuestSnapshot snapshot) => snapshot switch
    {
        { SavedMemoryBytes: 0 } => "no memory state",
        { SavedMemoryBytes: { } saved } => $"memory state {ImageNames.Bytes(saved)} in the qcow2",
        { Mode: not SnapshotMode.RunningWithMemory } => "no memory state",
        { MemoryBytes: { } memory } => $"memory state: size unknown, up to {ImageNames.Bytes(memory)} ({snapshot.SavedMemoryUnknown})",
        _ => $"memory state: size unknown ({snapshot.SavedMemoryUnknown})",
    };

    public static string Disks(GuestSnapshot snapshot) =>
        snapshot.Disks.Count == 0 ? "none" : string.Join(", ", snapshot.Disks.Select(d => d.OverlayPath is { } path ? $"{d.Target} → {Path.GetFileName(path)}" : d.Target));

    public static string Cost(SnapshotCost cost) => cost.PoolName is null
        ? $"About {ImageNames.Bytes(cost.EstimateBytes)}."
        : $"Pool {cost.PoolName}: {ImageNames.Bytes(cost.PoolAvailableBytes ?? 0)} free; this snapshot needs about {ImageNames.Bytes(cost.EstimateBytes)}" +
          (cost.WithMemory ? " (the guest's memory)" : cost.Kind == SnapshotKind.External ? " now (the overlay starts near zero and grows with what the guest writes)" : "") + ".";
}

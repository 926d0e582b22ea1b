namespace VirtWeb.Usage;

/// <summary>
/// One guest's cumulative counters at one moment, as <c>virConnectGetAllDomainStats</c> reported them: CPU time in
/// nanoseconds, disk and network totals summed over every disk and card. Null means the driver did not report it.
/// Memory is the balloon's view in KiB; <see cref="MemoryUsedKiB"/> is only known when the guest's balloon driver
/// reports its free memory (available − unused), never guessed from what the host allotted.
/// </summary>
public sealed record GuestCounters(
    Guid HostId,
    Guid Uuid,
    string Name,
    DateTimeOffset At,
    int Vcpus,
    ulong? CpuTimeNs,
    ulong? MemoryUsedKiB,
    ulong? MemoryTotalKiB,
    ulong? DiskReadBytes,
    ulong? DiskWriteBytes,
    ulong? DiskReadOps,
    ulong? DiskWriteOps,
    ulong? NetRxBytes,
    ulong? NetTxBytes)
{
    /// <summary>The stats groups a sample asks for.</summary>
    public const DomainStatsTypes Groups = DomainStatsTypes.CpuTotal | DomainStatsTypes.Balloon | DomainStatsTypes.Vcpu
        | DomainStatsTypes.Interface | DomainStatsTypes.Block;

    public static GuestCounters From(Guid hostId, DomainStats stats, DateTimeOffset at)
    {
        var available = stats.GetUInt64("balloon.available");
        var unused = stats.GetUInt64("balloon.unused");
        return new GuestCounters(
            hostId,
            stats.DomainUuid,
            stats.DomainName,
            at,
            (int)(stats.GetInt64("vcpu.current") ?? 0),
            stats.GetUInt64("cpu.time"),
            available is { } a && unused is { } u && u <= a ? a - u : null,
            available ?? stats.GetUInt64("balloon.current"),
            Sum(stats, "block", "rd.bytes"),
            Sum(stats, "block", "wr.bytes"),
            Sum(stats, "block", "rd.reqs"),
            Sum(stats, "block", "wr.reqs"),
            Sum(stats, "net", "rx.bytes"),
            Sum(stats, "net", "tx.bytes"));
    }

    /// <summary>"block.0.wr.bytes" + "block.1.wr.bytes" + ...; null when no device reports the field.</summary>
    private static ulong? Sum(DomainStats stats, string group, string field)
    {
        var count = stats.GetInt64($"{group}.count") ?? 0;
        ulong? total = null;
        for (var i = 0; i < count; i++)
        {
            if (stats.GetUInt64($"{group}.{i}.{field}") is { } value)
            {
                total = (total ?? 0) + value;
            }
        }

        return total;
    }
}

/// <summary>
/// The host's own cumulative CPU nanoseconds (busy = kernel + user, idle = idle + iowait) and memory in KiB; memory is
/// null where the driver has no node memory stats (the test driver).
/// </summary>
public sealed record HostCounters(Guid HostId, DateTimeOffset At, int Cpus, ulong? BusyNs, ulong? IdleNs, ulong? MemoryUsedKiB, ulong? MemoryTotalKiB)
{
    public static HostCounters From(Guid hostId, DateTimeOffset at, int cpus, IReadOnlyDictionary<string, ulong> cpu, IReadOnlyDictionary<string, ulong>? memory)
    {
        ulong? busy = cpu.TryGetValue("kernel", out var kernel) && cpu.TryGetValue("user", out var user) ? kernel + user : null;
        ulong? idle = cpu.TryGetValue("idle", out var idleNs) ? idleNs + cpu.GetValueOrDefault("iowait") : null;
        ulong? total = memory is not null && memory.TryGetValue("total", out var t) ? t : null;
        ulong? used = total is { } all && memory!.TryGetValue("free", out var free)
            ? all - Math.Min(all, free + memory.GetValueOrDefault("buffers") + memory.GetValueOrDefault("cached"))
            : null;
        return new HostCounters(hostId, at, cpus, busy, idle, used, total);
    }
}

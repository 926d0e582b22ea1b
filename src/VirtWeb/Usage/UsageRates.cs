namespace VirtWeb.Usage;

/// <summary>
/// One guest's usage over the interval that ended at <see cref="At"/>: CPU % of its own vCPUs (100 = every vCPU busy)
/// and of the whole host; memory used and allotted (KiB); disk bytes and operations per second; network bytes per
/// second. Null means "not reported" or "not known for this interval" (the first sample, a counter reset).
/// </summary>
public sealed record GuestUsage(
    Guid HostId,
    Guid Uuid,
    string Name,
    DateTimeOffset At,
    double? CpuPercent,
    double? HostCpuPercent,
    ulong? MemoryUsedKiB,
    ulong? MemoryTotalKiB,
    double? DiskReadBytesPerSecond,
    double? DiskWriteBytesPerSecond,
    double? DiskReadOpsPerSecond,
    double? DiskWriteOpsPerSecond,
    double? NetRxBytesPerSecond,
    double? NetTxBytesPerSecond) : Live.ILiveItem
{
    public string Key => Guests.GuestState.KeyOf(HostId, Uuid);

    public string AccessPath => Access.AccessPaths.Guest(HostId, Uuid);

    /// <summary>Memory used as % of what the guest was given; null when the guest does not report it.</summary>
    public double? MemoryPercent => MemoryUsedKiB is { } used && MemoryTotalKiB is { } total && total > 0 ? 100.0 * used / total : null;
}

/// <summary>The host's usage over the interval that ended at <see cref="At"/>; disk and network are its guests' sums.</summary>
public sealed record HostUsage(
    Guid HostId,
    DateTimeOffset At,
    double? CpuPercent,
    ulong? MemoryUsedKiB,
    ulong? MemoryTotalKiB,
    double? DiskReadBytesPerSecond,
    double? DiskWriteBytesPerSecond,
    double? DiskReadOpsPerSecond,
    double? DiskWriteOpsPerSecond,
    double? NetRxBytesPerSecond,
    double? NetTxBytesPerSecond);

/// <summary>
/// From two readings of cumulative counters to rates. A counter that went down was reset (the guest was stopped and
/// started again, or libvirt reconnected to a new QEMU): that interval's rate is unknown, not negative and not a spike.
/// A missed sample just makes the interval longer: rates divide by the real time between the two readings. Readings
/// further apart than <see cref="MaxInterval"/> (a host that was away) give no rate, so history shows a gap.
/// </summary>
public static class UsageRates
{
    public static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(65);

    public static GuestUsage Guest(GuestCounters? previous, GuestCounters current, int hostCpus)
    {
        var seconds = previous is null ? 0 : (current.At - previous.At).TotalSeconds;
        var usable = previous is not null && seconds > 0 && seconds <= MaxInterval.TotalSeconds;
        double? Rate(Func<GuestCounters, ulong?> counter) => usable ? PerSecond(counter(previous!), counter(current), seconds) : null;

        var cpuNsPerSecond = Rate(c => c.CpuTimeNs);
        return new GuestUsage(
            current.HostId,
            current.Uuid,
            current.Name,
            current.At,
            cpuNsPerSecond is { } ns && current.Vcpus > 0 ? Percent(ns, current.Vcpus) : null,
            cpuNsPerSecond is { } hostNs && hostCpus > 0 ? Percent(hostNs, hostCpus) : null,
            current.MemoryUsedKiB,
            current.MemoryTotalKiB,
            Rate(c => c.DiskReadBytes),
            Rate(c => c.DiskWriteBytes),
            Rate(c => c.DiskReadOps),
            Rate(c => c.DiskWriteOps),
            Rate(c => c.NetRxBytes),
            Rate(c => c.NetTxBytes));
    }

    /// <summary>The host's CPU % from busy over busy + idle; disk and network are the sums of its guests' rates.</summary>
    public static HostUsage Host(HostCounters? previous, HostCounters current, IReadOnlyCollection<GuestUsage> guests)
    {
        double? cpu = null;
        if (previous is not null && current.At - previous.At <= MaxInterval
            && previous.BusyNs is { } busy0 && current.BusyNs is { } busy1 && previous.IdleNs is { } idle0 && current.IdleNs is { } idle1
            && busy1 >= busy0 && idle1 >= idle0 && busy1 - busy0 + (idle1 - idle0) > 0)
        {
            cpu = Math.Clamp(100.0 * (busy1 - busy0) / (busy1 - busy0 + (idle1 - idle0)), 0, 100);
        }

        double? Total(Func<GuestUsage, double?> rate) =>
            guests.Select(rate).Where(r => r is not null).Aggregate((double?)null, (sum, r) => (sum ?? 0) + r);
        return new HostUsage(
            current.HostId, current.At, cpu, current.MemoryUsedKiB, current.MemoryTotalKiB,
            Total(g => g.DiskReadBytesPerSecond), Total(g => g.DiskWriteBytesPerSecond),
            Total(g => g.DiskReadOpsPerSecond), Total(g => g.DiskWriteOpsPerSecond),
            Total(g => g.NetRxBytesPerSecond), Total(g => g.NetTxBytesPerSecond));
    }

    private static double? PerSecond(ulong? before, ulong? after, double seconds) =>
        before is { } b && after is { } a && a >= b ? (a - b) / seconds : null;

    // CPU time can run a hair ahead of wall time between two readings (the two clocks are read apart): cap at 100.
    private static double Percent(double nsPerSecond, int cpus) => Math.Clamp(nsPerSecond / (1e9 * cpus) * 100, 0, 100);
}

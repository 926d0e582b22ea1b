namespace VirtWeb.Usage;

/// <summary>One line of a chart: its label (also in the legend), its dash ("solid", "dashed", "dotted") and its values.</summary>
public sealed record UsageChartLine(string Label, string Dash, IReadOnlyList<float?> Values);

/// <summary>
/// One chart of a family (CPU, memory, disk, network) as the browser draws it: Unix seconds per bucket and the lines.
/// A null value is a gap (the host was away, the guest off, the balloon not reporting), never drawn as zero.
/// </summary>
public sealed record UsageChartFamily(string Id, string Title, string Unit, IReadOnlyList<long> Times, IReadOnlyList<UsageChartLine> Lines)
{
    /// <summary>How many points the chart has a number for; the page shows "no data" rather than an empty chart.</summary>
    public int Points => Lines.Sum(l => l.Values.Count(v => v is not null));
}

/// <summary>From a history series to the four charts; lines differ by dash and label, not by colour alone.</summary>
public static class UsageChartData
{
    public static IReadOnlyList<UsageChartFamily> From(UsageSeries series)
    {
        var times = series.Times.Select(t => t.ToUnixTimeSeconds()).ToList();
        IReadOnlyList<float?> V(string column) => series.Values[column];
        // History keeps memory in KiB; the chart's axis formats bytes.
        IReadOnlyList<float?> Bytes(string column) => V(column).Select(v => v * 1024f).ToList();
        return
        [
            new("cpu", "CPU", "%", times, [new("average", "solid", V("Cpu")), new("max", "dashed", V("CpuMax")), new("min", "dotted", V("CpuMin"))]),
            new("memory", "Memory", "B", times, [new("used", "solid", Bytes("Memory")), new("total", "dashed", Bytes("MemoryTotal"))]),
            new("disk", "Disk", "B/s", times, [new("read", "solid", V("DiskRead")), new("write", "dashed", V("DiskWrite"))]),
            new("network", "Network", "B/s", times, [new("received", "solid", V("NetRx")), new("sent", "dashed", V("NetTx"))]),
        ];
    }
}

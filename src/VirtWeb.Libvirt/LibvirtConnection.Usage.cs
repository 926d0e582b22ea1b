using System.Runtime.InteropServices;
using VirtWeb.Libvirt.Interop;

namespace VirtWeb.Libvirt;

/// <summary>The host's own CPU and memory counters.</summary>
public sealed unsafe partial class LibvirtConnection
{
    /// <summary>
    /// <c>virNodeGetCPUStats</c> over all CPUs: cumulative nanoseconds by field ("kernel", "user", "idle", "iowait"; a
    /// driver may report fewer, or "utilization").
    /// </summary>
    public IReadOnlyDictionary<string, ulong> GetNodeCpuStats() =>
        ReadNodeStats((p, n) => Native.virNodeGetCPUStats(Counted, Native.AllCpusOrCells, p, n, 0), "virNodeGetCPUStats");

    /// <summary><c>virNodeGetMemoryStats</c> over all cells, in KiB by field ("total", "free", "buffers", "cached").</summary>
    public IReadOnlyDictionary<string, ulong> GetNodeMemoryStats() =>
        ReadNodeStats((p, n) => Native.virNodeGetMemoryStats(Counted, Native.AllCpusOrCells, p, n, 0), "virNodeGetMemoryStats");

    private delegate int NodeStatsCall(VirNodeStatsField* parameters, int* count);

    private static Dictionary<string, ulong> ReadNodeStats(NodeStatsCall call, string operation)
    {
        var count = 0;
        NativeHelpers.Check(call(null, &count), operation);
        var values = new Dictionary<string, ulong>(count, StringComparer.Ordinal);
        if (count == 0)
        {
            return values;
        }

        var fields = stackalloc VirNodeStatsField[count];
        NativeHelpers.Check(call(fields, &count), operation);
        for (var i = 0; i < count; i++)
        {
            values[Marshal.PtrToStringUTF8((nint)fields[i].Field) ?? string.Empty] = fields[i].Value;
        }

        return values;
    }
}

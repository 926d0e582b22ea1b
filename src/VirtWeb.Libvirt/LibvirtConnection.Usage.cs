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

    /// <summary>
    /// <c>virDomainListGetStats</c>: the stats of just these domains (all of this connection), one record each, in one call.
    /// </summary>
    public IReadOnlyList<DomainStats> GetDomainStats(IReadOnlyList<LibvirtDomain> domains, DomainStatsTypes types, DomainStatsFlags flags = DomainStatsFlags.None)
    {
        if (domains.Count == 0)
        {
            return [];
        }

        var added = new bool[domains.Count];
        var pointers = new nint[domains.Count + 1];
        try
        {
            for (var i = 0; i < domains.Count; i++)
            {
                if (domains[i].Connection != this)
                {
                    throw new ArgumentException($"Domain {domains[i].Name} belongs to another connection.", nameof(domains));
                }

                domains[i].Handle.DangerousAddRef(ref added[i]);
                pointers[i] = domains[i].Handle.DangerousGetHandle();
            }

            VirDomainStatsRecord** records;
            int count;
            CountCall();
            fixed (nint* array = pointers)
            {
                count = NativeHelpers.Check(Native.virDomainListGetStats(array, (uint)types, &records, (uint)flags), "virDomainListGetStats");
            }

            return TakeStats(records, count);
        }
        finally
        {
            for (var i = 0; i < domains.Count; i++)
            {
                if (added[i])
                {
                    domains[i].Handle.DangerousRelease();
                }
            }
        }
    }

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

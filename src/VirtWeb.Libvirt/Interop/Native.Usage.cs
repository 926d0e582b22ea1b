using System.Runtime.InteropServices;

namespace VirtWeb.Libvirt.Interop;

/// <summary>Host CPU and memory counters for usage sampling (the guests' come from virConnectGetAllDomainStats).</summary>
internal static unsafe partial class Native
{
    /// <summary>VIR_NODE_CPU_STATS_ALL_CPUS / VIR_NODE_MEMORY_STATS_ALL_CELLS: the sum over the whole host.</summary>
    internal const int AllCpusOrCells = -1;

    // Called once with params null to learn nparams, then with an array of that many.
    [LibraryImport(Lib)] internal static partial int virNodeGetCPUStats(ConnectHandle conn, int cpuNum, VirNodeStatsField* @params, int* nparams, uint flags);
    [LibraryImport(Lib)] internal static partial int virNodeGetMemoryStats(ConnectHandle conn, int cellNum, VirNodeStatsField* @params, int* nparams, uint flags);

    // The stats of chosen domains: doms is a NULL-terminated array; the result is freed with virDomainStatsRecordListFree.
    [LibraryImport(Lib)] internal static partial int virDomainListGetStats(nint* doms, uint stats, VirDomainStatsRecord*** retStats, uint flags);
}

/// <summary>
/// <c>virNodeCPUStats</c> and <c>virNodeMemoryStats</c> share this layout: an 80-byte field name and an unsigned long long.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VirNodeStatsField
{
    public fixed byte Field[80];
    public ulong Value;
}

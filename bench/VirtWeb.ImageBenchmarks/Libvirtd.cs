using System.Globalization;

namespace VirtWeb.ImageBenchmarks;

/// <summary>
/// The machine's libvirtd as /proc shows it. Its minor page faults tell a daemon that maps fresh memory for every stream
/// message (freshly started) from one whose heap has settled, which changes what both virsh and VirtWeb get by a factor
/// of three or more.
/// </summary>
internal static class Libvirtd
{
    public static int ProcessId()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid)
                && File.Exists(Path.Combine(directory, "comm"))
                && File.ReadAllText(Path.Combine(directory, "comm")).Trim() == "libvirtd")
            {
                return pid;
            }
        }

        throw new InvalidOperationException("libvirtd is not running; start it first (scripts/common.sh ensure_libvirtd).");
    }

    /// <summary>Minor faults and user+system CPU ticks (USER_HZ, 100 on Linux) of a process, all its threads together.</summary>
    public static (long MinorFaults, long CpuTicks) Counters(int pid)
    {
        // The command name in field 2 may hold spaces; the fields after its closing parenthesis are fixed.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return (Field(10), Field(14) + Field(15));
    }
}

using System.Globalization;

namespace VirtWeb.Benchmarks;

/// <summary>
/// What the process holds outside the managed heap: resident memory and open file descriptors, read from /proc
/// after a full collection so that finalizable SafeHandles have released what they own.
/// </summary>
public sealed record NativeFootprint(long ResidentBytes, long ManagedBytes, int OpenFileDescriptors)
{
    public long NativeBytes => ResidentBytes - ManagedBytes;

    public static NativeFootprint Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        var rssKiB = File.ReadLines("/proc/self/status")
            .First(line => line.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var fds = Directory.GetFiles("/proc/self/fd").Length;
        return new NativeFootprint(long.Parse(rssKiB, CultureInfo.InvariantCulture) * 1024, managed, fds);
    }

    public static string Row(string label, NativeFootprint before, NativeFootprint after) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {label,-34} | {before.ResidentBytes / 1048576.0,8:0.0} | {after.ResidentBytes / 1048576.0,8:0.0} | {(after.NativeBytes - before.NativeBytes) / 1048576.0,+9:0.0} | {before.OpenFileDescriptors,4} | {after.OpenFileDescriptors,4} |");

    public const string Header =
        "| workload                           | RSS MiB  | after    | native Δ  | fds  | after|\n" +
        "|------------------------------------|----------|----------|-----------|------|------|";
}

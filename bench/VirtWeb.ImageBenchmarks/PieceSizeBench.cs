using System.Diagnostics;
using System.Globalization;
using VirtWeb.Libvirt;

namespace VirtWeb.ImageBenchmarks;

/// <summary>
/// Why uploads send 124 KiB messages: the same file uploaded through the binding's stream (one <c>Write</c>, one libvirt
/// message) in pieces of several sizes, into a temp dir pool on qemu:///system, with no HTTP in the way. Beside each
/// throughput stand libvirtd's CPU time and minor page faults over the upload, read from /proc. Run it once right after
/// libvirtd starts and once after it has worked a while: the daemon's heap decides which size wins.
/// </summary>
public static class PieceSizeBench
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly int[] PieceSizes = [64 << 10, 124 << 10, 128 << 10, 256 << 10];

    public static async Task<int> RunAsync(long size, int rounds)
    {
        var daemon = Libvirtd.ProcessId();
        using var scratch = await ScratchPool.CreateAsync("pieces", size);
        var results = PieceSizes.ToDictionary(piece => piece, _ => new List<(double MiBps, double CpuSeconds, long Faults)>());
        for (var round = 1; round <= rounds; round++)
        {
            // Sizes take turns within a round, so a slow spell of the machine falls on all of them.
            foreach (var piece in PieceSizes)
            {
                results[piece].Add(Upload(scratch, daemon, size, piece));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{size >> 20} MiB through the binding into a dir pool on qemu:///system, {Environment.ProcessorCount} CPUs, median of {rounds}");
        Console.WriteLine();
        Console.WriteLine("| message | upload MiB/s | libvirtd CPU s | libvirtd minor faults |");
        Console.WriteLine("|--------:|-------------:|---------------:|----------------------:|");
        foreach (var (piece, runs) in results)
        {
            Console.WriteLine(string.Create(Invariant,
                $"| {piece >> 10,4} KiB | {TransferBench.Median(runs.Select(r => r.MiBps)),12:0} | {TransferBench.Median(runs.Select(r => r.CpuSeconds)),14:0.00} | {TransferBench.Median(runs.Select(r => (double)r.Faults)),21:0} |"));
        }

        return 0;
    }

    private static (double MiBps, double CpuSeconds, long Faults) Upload(ScratchPool scratch, int daemon, long size, int piece)
    {
        using var volume = scratch.CreateRawVolume($"piece-{piece >> 10}k.raw", size);
        var buffer = new byte[piece];
        var before = Libvirtd.Counters(daemon);
        var clock = Stopwatch.StartNew();
        using (var file = new FileStream(scratch.Source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1))
        using (var stream = volume.OpenUpload())
        {
            int read;
            while ((read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
            {
                stream.Write(buffer, 0, read);
            }

            stream.Complete();
        }

        var elapsed = clock.Elapsed;
        var after = Libvirtd.Counters(daemon);
        volume.Delete();
        return (size / (1024.0 * 1024.0) / elapsed.TotalSeconds, (after.CpuTicks - before.CpuTicks) / 100.0, after.MinorFaults - before.MinorFaults);
    }
}

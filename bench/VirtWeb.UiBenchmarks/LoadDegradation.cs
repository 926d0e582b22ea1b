using System.Globalization;

namespace VirtWeb.UiBenchmarks;

/// <summary>
/// The load bench's schedule and table: a warm-up, <c>runs</c> runs at the first number of watchers (their median is
/// the headline), then the watchers doubled (hub clients grow, the circuits stay: Chromium is heavy on two cores) until
/// a run's p95 passes <see cref="P95LimitMs"/>, the app's memory passes <see cref="RssLimit"/>, a run fails, or the
/// cap (or, with <c>pastTheLimit</c>, up to the cap). At least one doubling runs, so the table shows the trend even when
/// the first level is already past a limit.
/// </summary>
public static class LoadDegradation
{
    public const double P95LimitMs = 100;

    public const long RssLimit = 2L << 30;

    public static async Task<IReadOnlyList<LoadRun>> RunAsync(LoadBench bench, CircuitWatchers circuits, int first, int runs, int max, bool pastTheLimit)
    {
        Console.Error.WriteLine($"load: warm-up (10 hub clients), load {LoadBench.LoadAverage()}");
        await bench.RunAsync(10, circuits);
        var done = new List<LoadRun>();
        for (var run = 1; run <= runs; run++)
        {
            done.Add(Progress(await bench.RunAsync(first - circuits.Count, circuits)));
        }

        for (var watchers = first * 2; watchers <= max; watchers *= 2)
        {
            try
            {
                done.Add(Progress(await bench.RunAsync(watchers - circuits.Count, circuits)));
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or OperationCanceledException)
            {
                Console.Error.WriteLine($"load: {watchers} watchers failed: {e.Message}");
                break;
            }

            if (Degraded(done[^1]) && !pastTheLimit)
            {
                break;
            }
        }

        return done;
    }

    public static void Print(IReadOnlyList<LoadRun> runs)
    {
        var first = runs[0].Watchers;
        var atFirst = runs.Where(r => r.Watchers == first).ToList();
        var lines = new List<string[]>
        {
            new[] { "watchers", "hub clients", "circuits", "samples", "p50 ms", "p95 ms", "p99 ms", "to store p95", "hub p95", "circuit p95", "lost/out-of-order", "final mismatches", "peak RSS MiB", "peak GC heap MiB", "CPU s", "hub clients CPU s", "run s", "load before -> after" },
        };
        lines.AddRange(atFirst.Select((r, i) => Cells(r, $"{r.Watchers} (run {i + 1})")));
        if (atFirst.Count > 1)
        {
            var median = Median(atFirst);
            lines.Add(Cells(median, $"{first} (median of {atFirst.Count})"));
        }

        lines.AddRange(runs.Where(r => r.Watchers != first).Select(r => Cells(r, $"{r.Watchers}")));
        var widths = Enumerable.Range(0, lines[0].Length).Select(c => lines.Max(l => l[c].Length)).ToArray();
        Console.WriteLine();
        foreach (var line in lines)
        {
            Console.WriteLine(string.Join("  ", line.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))));
        }

        // The first level counts by its median, as its row does; a doubled level by its one run.
        var degraded = new[] { atFirst.Count > 1 ? Median(atFirst) : atFirst[0] }.Concat(runs.Where(r => r.Watchers != first)).FirstOrDefault(Degraded);
        Console.WriteLine(degraded is null
            ? $"No run passed p95 {P95LimitMs} ms or {RssLimit >> 30} GiB up to {runs[^1].Watchers} watchers."
            : $"Degradation point: {degraded.Watchers} watchers (p95 {Ms(degraded.P95)} ms, peak RSS {Mib(degraded.PeakRss)} MiB); the limit is p95 {P95LimitMs} ms or {RssLimit >> 30} GiB.");
        Console.WriteLine("Latency: t0 right before each guest's libvirt call, t1 when a hub client received the change or a circuit's row changed in Chromium; every watcher's sample pooled.");
    }

    private static bool Degraded(LoadRun run) => run.P95 > P95LimitMs || run.PeakRss > RssLimit;

    /// <summary>Each column's median over the runs; what went wrong is summed, so none of it hides behind a median.</summary>
    private static LoadRun Median(IReadOnlyList<LoadRun> runs)
    {
        double Mid(Func<LoadRun, double> pick) => runs.Select(pick).Order().ElementAt(runs.Count / 2);
        return runs[0] with
        {
            Samples = (int)Mid(r => r.Samples),
            P50 = Mid(r => r.P50),
            P95 = Mid(r => r.P95),
            P99 = Mid(r => r.P99),
            StoreP95 = Mid(r => r.StoreP95),
            HubP95 = Mid(r => r.HubP95),
            CircuitP95 = Mid(r => r.CircuitP95),
            Lost = runs.Sum(r => r.Lost),
            OutOfOrder = runs.Sum(r => r.OutOfOrder),
            Mismatches = runs.Sum(r => r.Mismatches),
            PeakRss = (long)Mid(r => r.PeakRss),
            PeakHeap = (long)Mid(r => r.PeakHeap),
            CpuSeconds = Mid(r => r.CpuSeconds),
            HubClientsCpuSeconds = Mid(r => r.HubClientsCpuSeconds),
            Seconds = Mid(r => r.Seconds),
            LoadBefore = string.Join(" | ", runs.Select(r => r.LoadBefore)),
            LoadAfter = "",
        };
    }

    private static LoadRun Progress(LoadRun run)
    {
        Console.Error.WriteLine($"load: {string.Join("  ", Cells(run, $"{run.Watchers}"))}");
        return run;
    }

    private static string[] Cells(LoadRun r, string label) =>
    [
        label, $"{r.HubClients}", $"{r.Circuits}", $"{r.Samples}", Ms(r.P50), Ms(r.P95), Ms(r.P99), Ms(r.StoreP95), Ms(r.HubP95), Ms(r.CircuitP95), $"{r.Lost}/{r.OutOfOrder}", $"{r.Mismatches}",
        Mib(r.PeakRss), Mib(r.PeakHeap), r.CpuSeconds.ToString("0.0", CultureInfo.InvariantCulture), r.HubClientsCpuSeconds.ToString("0.0", CultureInfo.InvariantCulture), r.Seconds.ToString("0.0", CultureInfo.InvariantCulture),
        r.LoadAfter.Length == 0 ? r.LoadBefore : $"{r.LoadBefore} -> {r.LoadAfter}",
    ];

    private static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0", CultureInfo.InvariantCulture);
}

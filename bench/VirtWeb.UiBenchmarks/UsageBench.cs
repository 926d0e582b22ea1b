using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.Libvirt;
using VirtWeb.Usage;

namespace VirtWeb.UiBenchmarks;

/// <summary>
/// Issue 18's numbers: one sampling round over a test-driver world (time, allocations, rows written) and the history's
/// size after a simulated month (a month of every tier written straight into the app's database).
/// </summary>
public static class UsageBench
{
    public static async Task<List<BenchRow>> RoundAsync(VirtWebFactory app, int guests, int rounds)
    {
        var world = GuestListBench.WriteWorld("use", guests * 2); // every other guest runs
        using var connection = LibvirtConnection.Open($"test://{world}");
        var hostId = Guid.NewGuid();
        var sampler = new HostSampler(hostId, TimeProvider.System);
        var history = app.Services.GetRequiredService<UsageHistory>();
        sampler.SampleAll(connection, 8); // the first reading: no rates yet, and the JIT warms up
        var times = new List<double>();
        var allocations = new List<long>();
        var written = new List<int>();
        var filledWritten = new List<int>();
        var filledTimes = new List<double>();
        var start = UsageTiers.Raw.BucketOf(DateTimeOffset.UtcNow.AddMinutes(-50));
        for (var i = 0; i < rounds; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            var round = sampler.SampleAll(connection, 8);
            times.Add(clock.Elapsed.TotalMilliseconds);
            allocations.Add(GC.GetAllocatedBytesForCurrentThread() - allocated);
            // A bucket of its own per round (a second write into one bucket is dropped by design).
            written.Add(await history.WriteAsync(start.AddSeconds(20 * i), round.Guests, round.Host));
            // The test driver's domain stats are empty (no cpu.time, balloon, block or interface counters), so its guests
            // have no number and the round above writes only the host's row. A QEMU host's round writes one row per
            // guest with every metric: the same round with numbers in, into the next bucket, is that write.
            var filled = round.Guests.Select(g => g with
            {
                CpuPercent = 12.5, HostCpuPercent = 1.5, MemoryUsedKiB = 131072, MemoryTotalKiB = 262144, DiskReadBytesPerSecond = 4096,
                DiskWriteBytesPerSecond = 8192, DiskReadOpsPerSecond = 1, DiskWriteOpsPerSecond = 2, NetRxBytesPerSecond = 1500, NetTxBytesPerSecond = 900,
            }).ToList();
            clock.Restart();
            filledWritten.Add(await history.WriteAsync(start.AddSeconds(20 * i + 10), filled, round.Host));
            filledTimes.Add(clock.Elapsed.TotalMilliseconds);
            if (i == rounds - 1)
            {
                Console.WriteLine($"last round: {round.Guests.Count} guests, libvirt {round.LibvirtTime.TotalMilliseconds:0} ms");
            }
        }

        File.Delete(world);
        var median = (IReadOnlyList<double> values) => values.Order().ElementAt(values.Count / 2);
        return
        [
            new($"sampling round, {guests:N0} running guests (test driver): time, median of {rounds}", $"{median(times):0} ms", "< 10 s (the round's interval)"),
            new($"sampling round, {guests:N0} running guests: allocations, median", Size((long)median(allocations.Select(a => (double)a).ToList())), ""),
            new($"sampling round, {guests:N0} running guests: rows written (test driver: no per-guest stats, the host's row only)", $"{written.Max()}", "1"),
            new($"sampling round, {guests:N0} guests with every metric (as QEMU's): rows written", $"{filledWritten.Max()}", $"{guests + 1} (one per guest and the host)"),
            new($"sampling round, {guests:N0} guests with every metric: history write time, median", $"{median(filledTimes):0} ms", ""),
        ];
    }

    /// <summary>
    /// A month of history at <paramref name="guests"/> guests, tier by tier with generate_series (the rows a month of
    /// roll-ups leaves: an hour of 10 s points, a day of 1 min, a month of 30 min, a month of 6 h), and the table's size
    /// (heap, TOAST and indexes) after each tier.
    /// </summary>
    public static async Task<List<BenchRow>> MonthAsync(VirtWebFactory app, int guests)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        var hostId = Guid.NewGuid();
        var rows = new List<BenchRow>();
        var bytesPerRow = new Dictionary<int, double>();
        var now = DateTimeOffset.UtcNow;
        foreach (var (tier, span) in new[] { (UsageTiers.Raw, TimeSpan.FromHours(1)), (UsageTiers.Minute, TimeSpan.FromDays(1)), (UsageTiers.HalfHour, TimeSpan.FromDays(31)), (UsageTiers.SixHours, TimeSpan.FromDays(31)) })
        {
            var before = await SizeAsync(connection);
            var clock = Stopwatch.StartNew();
            var rolled = tier != UsageTiers.Raw;
            var columns = string.Join(", ", UsageHistory.Metrics.SelectMany(m => rolled ? new[] { $"\"{m}\"", $"\"{m}Min\"", $"\"{m}Max\"" } : [$"\"{m}\""]));
            var values = string.Join(", ", UsageHistory.Metrics.SelectMany(_ => rolled ? new[] { "random() * 100", "random() * 10", "random() * 1000" } : ["random() * 100"]));
            await using var insert = new NpgsqlCommand($"""
                INSERT INTO "UsagePoints" ("HostId", "GuestUuid", "Resolution", "Bucket", "MemoryTotal", {columns})
                SELECT @host, g.uuid, @resolution, b, 262144, {values}
                FROM (SELECT gen_random_uuid() AS uuid FROM generate_series(1, @guests)) g
                CROSS JOIN generate_series(@from, @to, @step) b
                """, connection) { CommandTimeout = 0 };
            insert.Parameters.AddWithValue("host", hostId);
            insert.Parameters.AddWithValue("resolution", tier.Seconds);
            insert.Parameters.AddWithValue("guests", guests);
            insert.Parameters.AddWithValue("from", tier.BucketOf(now - span) + tier.Step);
            insert.Parameters.AddWithValue("to", tier.BucketOf(now));
            insert.Parameters.AddWithValue("step", tier.Step);
            var count = await insert.ExecuteNonQueryAsync();
            await using (var vacuum = new NpgsqlCommand("""VACUUM ANALYZE "UsagePoints" """, connection) { CommandTimeout = 0 })
            {
                await vacuum.ExecuteNonQueryAsync();
            }

            var grown = await SizeAsync(connection) - before;
            bytesPerRow[tier.Seconds] = (double)grown / count;
            rows.Add(new($"history, {tier.Label} tier: {count / guests:N0} rows per guest, {guests:N0} guests", $"{Size(grown)} ({bytesPerRow[tier.Seconds]:0} B/row, {clock.Elapsed.TotalSeconds:0} s)", ""));
        }

        var total = await SizeAsync(connection);
        rows.Add(new($"history after a month, {guests:N0} guests: table and indexes", Size(total), ""));
        await using (var database = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection))
        {
            rows.Add(new($"database after a month, {guests:N0} guests: the whole app database", Size((long)(await database.ExecuteScalarAsync())!), ""));
        }

        // A year: the finer tiers are full and stay so; the 6 h tier holds 1,461 points a guest (and 14,612 at ten years).
        var year = 360 * bytesPerRow[10] + 1440 * bytesPerRow[60] + 1488 * bytesPerRow[1800] + 1461 * bytesPerRow[21600];
        rows.Add(new("history: bytes per guest per year (tiers full, a year of 6 h points)", Size((long)year), ""));
        rows.Add(new("history: growth per day at 5,000 guests, after the first month (4 points of 6 h a guest)", Size((long)(4 * 5000 * bytesPerRow[21600])), ""));
        rows.Add(new("history: ten years at 5,000 guests (the bound)", Size((long)(5000 * (year + (14612 - 1461) * bytesPerRow[21600]))), ""));
        return rows;
    }

    private static string Size(long bytes) => bytes >= 1 << 30 ? $"{bytes / (double)(1 << 30):0.00} GiB"
        : bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):0.0} MiB" : $"{bytes / 1024.0:0.0} KiB";

    private static async Task<long> SizeAsync(NpgsqlConnection connection)
    {
        await using var size = new NpgsqlCommand("""SELECT pg_total_relation_size('"UsagePoints"')""", connection);
        return (long)(await size.ExecuteScalarAsync())!;
    }
}

using Npgsql;
using NpgsqlTypes;

namespace VirtWeb.Usage;

/// <summary>
/// The usage history in PostgreSQL: the sampler writes a 10 s point per guest and host; <see cref="RollUpAsync"/> turns
/// finished buckets of each tier into the next coarser one (min, max, average) and <see cref="PruneAsync"/> removes what
/// is older than each tier keeps. The table's size is therefore bounded: a guest has at most 360 + 1,440 + 1,488 + 14,612
/// rows, whatever runs how long.
/// </summary>
public sealed class UsageHistory(IDbContextFactory<VirtWebDbContext> contexts)
{
    /// <summary>The metrics a point keeps, in the column names of <see cref="UsagePointRecord"/>.</summary>
    internal static readonly string[] Metrics = ["Cpu", "Memory", "DiskRead", "DiskWrite", "DiskReadOps", "DiskWriteOps", "NetRx", "NetTx"];

    /// <summary>A point arriving late (the sampler's round ran long) still lands before its bucket is rolled up.</summary>
    public static readonly TimeSpan RollUpLag = TimeSpan.FromSeconds(15);

    /// <summary>Writes one 10 s point per usage; a second point in the same bucket (a restart within 10 s) is dropped.</summary>
    public async Task<int> WriteAsync(DateTimeOffset at, IReadOnlyList<GuestUsage> guests, HostUsage? host, CancellationToken cancellationToken = default)
    {
        var rows = guests.Select(g => new Row(g.HostId, g.Uuid, [
                F(g.CpuPercent), F(g.MemoryUsedKiB), F(g.DiskReadBytesPerSecond), F(g.DiskWriteBytesPerSecond),
                F(g.DiskReadOpsPerSecond), F(g.DiskWriteOpsPerSecond), F(g.NetRxBytesPerSecond), F(g.NetTxBytesPerSecond)], F(g.MemoryTotalKiB)))
            .Where(r => r.Values.Any(v => v is not null))
            .ToList();
        if (host is not null)
        {
            rows.Add(new Row(host.HostId, Guid.Empty, [
                F(host.CpuPercent), F(host.MemoryUsedKiB), F(host.DiskReadBytesPerSecond), F(host.DiskWriteBytesPerSecond),
                F(host.DiskReadOpsPerSecond), F(host.DiskWriteOpsPerSecond), F(host.NetRxBytesPerSecond), F(host.NetTxBytesPerSecond)], F(host.MemoryTotalKiB)));
        }

        return rows.Count == 0 ? 0 : await InsertAsync(UsageTiers.Raw, UsageTiers.Raw.BucketOf(at), rows, cancellationToken);
    }

    /// <summary>Raw rows at one bucket, in one statement (arrays unnested), so 5,000 guests cost one round trip.</summary>
    internal async Task<int> InsertAsync(UsageTier tier, DateTimeOffset bucket, IReadOnlyList<Row> rows, CancellationToken cancellationToken)
    {
        var columns = string.Join(", ", Metrics.Select(m => $"\"{m}\""));
        var unnest = string.Join(", ", Metrics.Select((_, i) => $"@m{i}"));
        var sql = $"""
            INSERT INTO "UsagePoints" ("HostId", "GuestUuid", "Resolution", "Bucket", "MemoryTotal", {columns})
            SELECT h, g, @resolution, @bucket, t, {string.Join(", ", Metrics.Select((_, i) => $"m{i}"))}
            FROM unnest(@hosts, @guests, @totals, {unnest}) AS u(h, g, t, {string.Join(", ", Metrics.Select((_, i) => $"m{i}"))})
            ON CONFLICT DO NOTHING
            """;
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("resolution", tier.Seconds);
        command.Parameters.AddWithValue("bucket", bucket);
        command.Parameters.AddWithValue("hosts", rows.Select(r => r.HostId).ToArray());
        command.Parameters.AddWithValue("guests", rows.Select(r => r.GuestUuid).ToArray());
        command.Parameters.Add(new NpgsqlParameter("totals", NpgsqlDbType.Array | NpgsqlDbType.Real) { Value = rows.Select(r => r.MemoryTotal).ToArray() });
        for (var i = 0; i < Metrics.Length; i++)
        {
            command.Parameters.Add(new NpgsqlParameter($"m{i}", NpgsqlDbType.Array | NpgsqlDbType.Real) { Value = rows.Select(r => r.Values[i]).ToArray() });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Rolls every finished bucket of each coarser tier up from the tier before it, from where the last roll-up stopped
    /// (or as far back as the finer tier keeps). Idempotent: running it twice writes nothing the second time.
    /// </summary>
    public async Task<int> RollUpAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var written = 0;
        await using var connection = await OpenAsync(cancellationToken);
        for (var i = 1; i < UsageTiers.All.Count; i++)
        {
            var (source, target) = (UsageTiers.All[i - 1], UsageTiers.All[i]);
            await using var last = new NpgsqlCommand("""SELECT max("Bucket") FROM "UsagePoints" WHERE "Resolution" = @r""", connection);
            last.Parameters.AddWithValue("r", target.Seconds);
            var from = await last.ExecuteScalarAsync(cancellationToken) is DateTime latest
                ? new DateTimeOffset(latest, TimeSpan.Zero) + target.Step
                : target.BucketOf(now - source.Keep);
            var to = target.BucketOf(now - RollUpLag);
            if (from >= to)
            {
                continue;
            }

            var aggregates = string.Join(",\n", Metrics.Select(m =>
                $"avg(\"{m}\"), min(coalesce(\"{m}Min\", \"{m}\")), max(coalesce(\"{m}Max\", \"{m}\"))"));
            var columns = string.Join(", ", Metrics.Select(m => $"\"{m}\", \"{m}Min\", \"{m}Max\""));
            await using var rollUp = new NpgsqlCommand($"""
                INSERT INTO "UsagePoints" ("HostId", "GuestUuid", "Resolution", "Bucket", "MemoryTotal", {columns})
                SELECT "HostId", "GuestUuid", @target, date_bin(@step, "Bucket", TIMESTAMPTZ 'epoch'), avg("MemoryTotal"),
                {aggregates}
                FROM "UsagePoints"
                WHERE "Resolution" = @source AND "Bucket" >= @from AND "Bucket" < @to
                GROUP BY "HostId", "GuestUuid", date_bin(@step, "Bucket", TIMESTAMPTZ 'epoch')
                ON CONFLICT DO NOTHING
                """, connection);
            rollUp.Parameters.AddWithValue("target", target.Seconds);
            rollUp.Parameters.AddWithValue("source", source.Seconds);
            rollUp.Parameters.AddWithValue("step", target.Step);
            rollUp.Parameters.AddWithValue("from", from);
            rollUp.Parameters.AddWithValue("to", to);
            written += await rollUp.ExecuteNonQueryAsync(cancellationToken);
        }

        return written;
    }

    /// <summary>Removes every point older than its tier keeps.</summary>
    public async Task<int> PruneAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var removed = 0;
        await using var connection = await OpenAsync(cancellationToken);
        foreach (var tier in UsageTiers.All)
        {
            await using var delete = new NpgsqlCommand("""DELETE FROM "UsagePoints" WHERE "Resolution" = @r AND "Bucket" < @before""", connection);
            delete.Parameters.AddWithValue("r", tier.Seconds);
            delete.Parameters.AddWithValue("before", now - tier.Keep);
            removed += await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        return removed;
    }

    internal async Task<List<UsagePointRecord>> ReadAsync(Guid hostId, Guid guestUuid, UsageTier tier, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        return await context.UsagePoints.AsNoTracking()
            .Where(p => p.HostId == hostId && p.GuestUuid == guestUuid && p.Resolution == tier.Seconds && p.Bucket >= from && p.Bucket < to)
            .OrderBy(p => p.Bucket)
            .ToListAsync(cancellationToken);
    }

    /// <summary>The 10 s points of one series (tests and tools; charts go through <see cref="UsageQueries"/>).</summary>
    internal Task<List<UsagePointRecord>> ReadRawAsync(Guid hostId, Guid guestUuid, DateTimeOffset from, DateTimeOffset to) =>
        ReadAsync(hostId, guestUuid, UsageTiers.Raw, from, to, CancellationToken.None);

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        var connection = new NpgsqlConnection(context.Database.GetConnectionString());
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static float? F(double? value) => value is { } v ? (float)v : null;

    private static float? F(ulong? value) => value is { } v ? v : null;

    internal sealed record Row(Guid HostId, Guid GuestUuid, float?[] Values, float? MemoryTotal);
}

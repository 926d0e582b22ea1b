using Npgsql;
using NpgsqlTypes;

namespace VirtWeb.Cluster;

/// <summary>
/// The lease statements, each one round trip, each deciding in the database's clock alone (<c>now()</c>, the start
/// of the statement's transaction, which is never before the database received it). See <see cref="LeaseOwnership"/>
/// for why two owners at once cannot happen.
/// </summary>
public sealed class HostLeases(NpgsqlDataSource dataSource, string instanceId, ClusterOptions options) : IAsyncDisposable
{
    public string InstanceId => instanceId;

    /// <summary>A lease that is held, with the host's current name and URI.</summary>
    public sealed record Lease(Guid HostId, long Epoch, string Name, string Uri, DateTimeOffset AcquiredAt, long PreviousHighestVersion);

    /// <summary>What one round learned: the leases that were renewed, the live instances and the hosts.</summary>
    public sealed record Round(IReadOnlyList<Lease> Renewed, int LiveInstances, int Hosts);

    /// <summary>Heartbeats, renews the given leases (only while unexpired, same owner, same epoch) and counts.</summary>
    public async Task<Round> RenewAsync(IReadOnlyCollection<(Guid HostId, long Epoch)> held, long highestVersion, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Command("""
            INSERT INTO "ClusterInstances" ("InstanceId", "StartedAt", "HeartbeatAt", "ExpiresAt")
            VALUES (@me, now(), now(), now() + @ttl)
            ON CONFLICT ("InstanceId") DO UPDATE SET "HeartbeatAt" = now(), "ExpiresAt" = now() + @ttl
            """));
        var renew = Command("""
            UPDATE "HostLeases" AS l SET "ExpiresAt" = now() + @ttl, "HighestVersion" = @highest
            FROM "Hosts" AS h, unnest(@ids, @epochs) AS held(id, epoch)
            WHERE h."Id" = l."HostId" AND l."HostId" = held.id AND l."Epoch" = held.epoch
              AND l."Owner" = @me AND l."ExpiresAt" > now()
            RETURNING l."HostId", l."Epoch", h."Name", h."Uri", l."AcquiredAt", l."HighestVersion"
            """);
        renew.Parameters.Add(new NpgsqlParameter("highest", highestVersion));
        renew.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = held.Select(h => h.HostId).ToArray() });
        renew.Parameters.Add(new NpgsqlParameter("epochs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = held.Select(h => h.Epoch).ToArray() });
        batch.BatchCommands.Add(renew);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT (SELECT count(*) FROM "ClusterInstances" WHERE "ExpiresAt" > now())::int,
                   (SELECT count(*) FROM "Hosts")::int
            """));
        batch.Timeout = StatementSeconds;

        // The heartbeat returns no rows, so the reader starts at the renewal's.
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var renewed = await ReadLeasesAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new Round(renewed, reader.GetInt32(0), reader.GetInt32(1));
    }

    /// <summary>
    /// Takes up to <paramref name="wanted"/> hosts that have no lease or whose lease expired in the database's clock,
    /// each with a new epoch from the cluster-wide sequence. A lease someone renewed meanwhile is not taken: the
    /// conflict's condition is checked on the locked, latest row.
    /// </summary>
    public async Task<IReadOnlyList<Lease>> AcquireAsync(int wanted, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH candidates AS (
                SELECT h."Id" FROM "Hosts" AS h LEFT JOIN "HostLeases" AS l ON l."HostId" = h."Id"
                WHERE l."HostId" IS NULL OR l."ExpiresAt" < now()
                ORDER BY h."Id" LIMIT @wanted),
            taken AS (
                INSERT INTO "HostLeases" AS l ("HostId", "Owner", "Epoch", "AcquiredAt", "ExpiresAt", "HighestVersion")
                SELECT "Id", @me, nextval('"{ClusterConfiguration.EpochSequence}"'), now(), now() + @ttl, 0 FROM candidates
                ON CONFLICT ("HostId") DO UPDATE
                    SET "Owner" = EXCLUDED."Owner", "Epoch" = EXCLUDED."Epoch", "AcquiredAt" = EXCLUDED."AcquiredAt", "ExpiresAt" = EXCLUDED."ExpiresAt"
                    WHERE l."ExpiresAt" < now()
                RETURNING l."HostId", l."Epoch", l."AcquiredAt", l."HighestVersion")
            SELECT t."HostId", t."Epoch", h."Name", h."Uri", t."AcquiredAt", t."HighestVersion"
            FROM taken AS t JOIN "Hosts" AS h ON h."Id" = t."HostId"
            """);
        AddCommon(command.Parameters);
        command.Parameters.Add(new NpgsqlParameter("wanted", wanted));
        command.CommandTimeout = StatementSeconds;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadLeasesAsync(reader, cancellationToken);
    }

    /// <summary>
    /// Gives leases up for another instance to take at once. Call it only after the hosts' supervisors stopped.
    /// </summary>
    public async Task ReleaseAsync(IReadOnlyCollection<(Guid HostId, long Epoch)> released, long highestVersion, bool leaving, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection) { Timeout = StatementSeconds };
        var release = Command("""
            UPDATE "HostLeases" AS l SET "ExpiresAt" = now() - interval '1 second', "HighestVersion" = @highest
            FROM unnest(@ids, @epochs) AS released(id, epoch)
            WHERE l."HostId" = released.id AND l."Epoch" = released.epoch AND l."Owner" = @me
            """);
        release.Parameters.Add(new NpgsqlParameter("highest", highestVersion));
        release.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = released.Select(h => h.HostId).ToArray() });
        release.Parameters.Add(new NpgsqlParameter("epochs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = released.Select(h => h.Epoch).ToArray() });
        batch.BatchCommands.Add(release);
        if (leaving)
        {
            batch.BatchCommands.Add(Command("""DELETE FROM "ClusterInstances" WHERE "InstanceId" = @me"""));
        }

        // Instances gone for a day are only history; whoever leaves clears them.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""DELETE FROM "ClusterInstances" WHERE "ExpiresAt" < now() - interval '1 day'"""));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private int StatementSeconds => Math.Max(1, (int)Math.Ceiling(options.StatementTimeout.TotalSeconds));

    private NpgsqlBatchCommand Command(string sql)
    {
        var command = new NpgsqlBatchCommand(sql);
        AddCommon(command.Parameters);
        return command;
    }

    private void AddCommon(NpgsqlParameterCollection parameters)
    {
        parameters.Add(new NpgsqlParameter("me", instanceId));
        parameters.Add(new NpgsqlParameter("ttl", NpgsqlDbType.Interval) { Value = options.LeaseDuration });
    }

    private static async Task<IReadOnlyList<Lease>> ReadLeasesAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var leases = new List<Lease>();
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add(new Lease(reader.GetGuid(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt64(5)));
        }

        return leases;
    }
}

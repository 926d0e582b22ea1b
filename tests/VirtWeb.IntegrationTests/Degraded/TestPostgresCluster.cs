using System.Diagnostics;
using Npgsql;

namespace VirtWeb.IntegrationTests.Degraded;

/// <summary>
/// Stops and starts the tests' own PostgreSQL cluster (the one ./test.sh starts in this checkout, named by
/// <see cref="DirectoryVariable"/>), the way an operator's database goes away: <c>pg_ctl stop -m fast</c>.
/// </summary>
public static class TestPostgresCluster
{
    public const string DirectoryVariable = "VIRTWEB_TEST_PG_DIR";

    private const string Binaries = "/usr/lib/postgresql/15/bin";

    private static string Directory =>
        Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{DirectoryVariable} is not set: run the tests with ./test.sh, which starts the cluster and sets it.");

    public static Task StopAsync() => PgCtlAsync("-m", "fast", "-w", "stop");

    /// <summary>Starts it again with the options ./test.sh gives it (scripts/common.sh, start_postgres).</summary>
    public static Task StartAsync()
    {
        var port = new NpgsqlConnectionStringBuilder(TestPostgres.ServerConnectionString).Port;
        return PgCtlAsync("-l", Path.Combine(Directory, "postgres.log"), "-w", "-t", "60",
            "-o", $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", "start");
    }

    private static async Task PgCtlAsync(params string[] arguments)
    {
        // PostgreSQL refuses to run as root: pg_ctl runs as the postgres user, which owns the cluster.
        var start = new ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-u", "postgres", "--", $"{Binaries}/pg_ctl", "-D", Path.Combine(Directory, "cluster"), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}

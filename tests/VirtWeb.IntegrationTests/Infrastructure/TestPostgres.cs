using Npgsql;

namespace VirtWeb.IntegrationTests.Infrastructure;

/// <summary>
/// The PostgreSQL server ./test.sh starts. Each test fixture gets a database of its own, dropped afterwards,
/// so fixtures never see each other's users.
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "VIRTWEB_TEST_POSTGRES";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set: run the tests with ./test.sh, which starts PostgreSQL, " +
                "or set it to a server connection string without Database (Host=...;Port=...;Username=...;Password=...).");

    public static string NewDatabaseConnectionString() =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString)
        {
            Database = $"virtweb_test_{Guid.NewGuid():N}",
            // Every fixture has its own database; small pools keep the server's connection count low.
            MaxPoolSize = 20,
        }.ConnectionString;

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)";
        await command.ExecuteNonQueryAsync();
    }
}

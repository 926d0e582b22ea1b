namespace VirtWeb.IntegrationTests.Infrastructure;

/// <summary>
/// The Redis ./test.sh starts beside PostgreSQL, for the several-instances tests. Each test cluster gets a key prefix
/// of its own (<c>Cluster:RedisPrefix</c>), so clusters never see each other's state.
/// </summary>
public static class TestRedis
{
    public const string EnvironmentVariable = "VIRTWEB_TEST_REDIS";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set: run the tests with ./test.sh, which starts Redis (start_redis in scripts/common.sh), " +
                "or set it to a StackExchange.Redis connection string (127.0.0.1:PORT,password=...).");

    public static string NewPrefix() => $"vwtest-{Guid.NewGuid():N}"[..20];

    /// <summary>Removes every key a test cluster left under its prefix.</summary>
    public static async Task DeletePrefixAsync(string prefix)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(ConnectionString);
        var db = redis.GetDatabase();
        foreach (var server in redis.GetServers())
        {
            await foreach (var key in server.KeysAsync(pattern: $"{prefix}:*"))
            {
                await db.KeyDeleteAsync(key);
            }
        }
    }
}

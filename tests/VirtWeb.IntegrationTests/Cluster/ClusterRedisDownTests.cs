using VirtWeb.Cluster;

namespace VirtWeb.IntegrationTests.Cluster;

/// <summary>An instance whose Redis does not answer (nothing listens on its port): not ready, yet it runs its hosts.</summary>
public sealed class ClusterRedisDownTests : IAsyncLifetime
{
    // Port 1 on loopback: refused at once, the way a stopped Redis is.
    private const string DeadRedis = "127.0.0.1:1,connectTimeout=500";
    private readonly ClusterDatabase _database = new();
    private ClusterAppFactory _app = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _app = new ClusterAppFactory("vwr-alone", _database.ConnectionString, TestRedis.NewPrefix(), DeadRedis);
        await _app.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task RedisDown_Readyz_FailsWhileTheInstanceStillRunsTheHostsItOwns()
    {
        var host = Assert.Single(await _database.AddHostsAsync(1));
        var store = _app.Services.GetRequiredService<LiveStateStore>();

        await Eventually.ValueAsync(() => store.Hosts.Find(host.ToString()), h => h.Connection == HostConnectionState.Connected,
            TimeSpan.FromSeconds(30), "the instance owns and runs its host without Redis");
        using var client = _app.CreateClient();
        var ready = await client.GetAsync("/readyz");

        Assert.True(_app.Services.GetRequiredService<IHostOwnership>().Owns(host));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }
}

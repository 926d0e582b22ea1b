using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using VirtWeb.Cluster;

namespace VirtWeb.IntegrationTests.Cluster;

/// <summary>A fresh database with every migration applied, for lease managers acting as separate instances.</summary>
public sealed class ClusterDatabase(string connectionString) : IAsyncLifetime
{
    public ClusterDatabase() : this(TestPostgres.NewDatabaseConnectionString())
    {
    }

    public string ConnectionString { get; } = connectionString;

    /// <summary>Short leases so that takeovers happen within a test; the same rules as the defaults.</summary>
    public static ClusterOptions Options(string instanceId) => new()
    {
        Enabled = true,
        InstanceId = instanceId,
        LeaseDuration = TimeSpan.FromSeconds(6),
        RenewInterval = TimeSpan.FromMilliseconds(500),
        StopAllowance = TimeSpan.FromSeconds(1.5),
        StatementTimeout = TimeSpan.FromSeconds(1),
    };

    public VirtWebDbContext Context() =>
        new(new DbContextOptionsBuilder<VirtWebDbContext>().UseNpgsql(ConnectionString).Options);

    public async Task InitializeAsync()
    {
        await using var db = Context();
        await db.Database.MigrateAsync();
    }

    public async Task<List<Guid>> AddHostsAsync(int count, string uri = "test:///default")
    {
        await using var db = Context();
        var hosts = Enumerable.Range(0, count).Select(i => new HostRecord
        {
            Id = Guid.NewGuid(),
            Name = $"vwcluster-{Guid.NewGuid():N}"[..24],
            NormalizedName = "",
            Uri = uri,
            AddedBy = "test",
            AddedAt = DateTimeOffset.UtcNow,
        }).ToList();
        foreach (var host in hosts)
        {
            host.NormalizedName = host.Name.ToUpperInvariant();
        }

        db.Hosts.AddRange(hosts);
        await db.SaveChangesAsync();
        return hosts.Select(h => h.Id).ToList();
    }

    public async Task<List<HostLeaseRecord>> LeasesAsync()
    {
        await using var db = Context();
        return await db.HostLeases.AsNoTracking().ToListAsync();
    }

    /// <summary>An instance whose connections go to <paramref name="connectionString"/> (a proxy, say).</summary>
    public static LeaseOwnership InstanceAt(string instanceId, string connectionString)
    {
        var options = Options(instanceId);
        return new LeaseOwnership(
            new HostLeases(ClusterExtensions.LeaseDataSource(connectionString, options), instanceId, options),
            options, TimeProvider.System, NullLogger<LeaseOwnership>.Instance);
    }

    public LeaseOwnership Instance(string instanceId) => InstanceAt(instanceId, ConnectionString);

    public string Through(TcpProxy proxy) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = proxy.Port }.ConnectionString;

    public Task DisposeAsync() => TestPostgres.DropDatabaseAsync(ConnectionString);
}

/// <summary>
/// What an instance's supervisor side saw: when each host was gained (with the database's grant time) and when its
/// stop had finished. The real listener is HostConnections, covered by <see cref="ClusterProcessTests"/>.
/// </summary>
public sealed class RecordingListener : IOwnershipListener
{
    private readonly Lock _lock = new();
    private readonly List<Interval> _intervals = [];

    public sealed record Interval(Guid HostId, long Epoch, DateTimeOffset AcquiredAt, DateTimeOffset? StoppedAt);

    public IReadOnlyList<Interval> Intervals
    {
        get
        {
            lock (_lock)
            {
                return _intervals.ToList();
            }
        }
    }

    public Task OwnedAsync(OwnedHost host)
    {
        lock (_lock)
        {
            if (!_intervals.Any(i => i.HostId == host.HostId && i.Epoch == host.Epoch))
            {
                _intervals.Add(new Interval(host.HostId, host.Epoch, host.AcquiredAt, null));
            }
        }

        return Task.CompletedTask;
    }

    public Task LostAsync(Guid hostId)
    {
        lock (_lock)
        {
            var open = _intervals.FindIndex(i => i.HostId == hostId && i.StoppedAt is null);
            if (open < 0)
            {
                throw new InvalidOperationException($"Host {hostId} was lost without being owned.");
            }

            _intervals[open] = _intervals[open] with { StoppedAt = DateTimeOffset.UtcNow };
        }

        return Task.CompletedTask;
    }
}

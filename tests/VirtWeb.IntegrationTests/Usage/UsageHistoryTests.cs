using Microsoft.EntityFrameworkCore.Infrastructure;
using VirtWeb.Usage;

namespace VirtWeb.IntegrationTests.Usage;

/// <summary>A migrated database of its own, without the app (whose sampler would write and roll up beside the test).</summary>
public sealed class UsageDatabase : IAsyncLifetime
{
    public string ConnectionString { get; } = TestPostgres.NewDatabaseConnectionString();

    /// <summary>A fresh factory each time, as a restarted app would build.</summary>
    public UsageHistory NewHistory() =>
        new(new PooledDbContextFactory<VirtWebDbContext>(new DbContextOptionsBuilder<VirtWebDbContext>().UseNpgsql(ConnectionString).Options));

    public async Task InitializeAsync()
    {
        await using var db = new VirtWebDbContext(new DbContextOptionsBuilder<VirtWebDbContext>().UseNpgsql(ConnectionString).Options);
        await db.Database.MigrateAsync();
    }

    public async Task DisposeAsync() => await TestPostgres.DropDatabaseAsync(ConnectionString);

    public async Task<List<UsagePointRecord>> PointsAsync(Guid hostId, int resolution)
    {
        await using var db = new VirtWebDbContext(new DbContextOptionsBuilder<VirtWebDbContext>().UseNpgsql(ConnectionString).Options);
        return await db.UsagePoints.Where(p => p.HostId == hostId && p.Resolution == resolution).OrderBy(p => p.Bucket).ToListAsync();
    }

    public async Task ClearAsync()
    {
        await using var db = new VirtWebDbContext(new DbContextOptionsBuilder<VirtWebDbContext>().UseNpgsql(ConnectionString).Options);
        await db.UsagePoints.ExecuteDeleteAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class UsageDatabaseCollection : ICollectionFixture<UsageDatabase>
{
    public const string Name = "usage database";
}

[Collection(UsageDatabaseCollection.Name)]
public sealed class UsageHistoryTests(UsageDatabase database) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private readonly Guid _host = Guid.NewGuid();
    private readonly Guid _guest = Guid.NewGuid();

    public async Task InitializeAsync() => await database.ClearAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private GuestUsage Usage(DateTimeOffset at, double cpu, ulong? memory = 1000) =>
        new(_host, _guest, "g", at, cpu, cpu / 4, memory, 2000, 1, 2, 3, 4, 5, 6);

    private async Task WriteMinutesAsync(UsageHistory history, DateTimeOffset start, int samples, Func<int, double> cpu)
    {
        for (var i = 0; i < samples; i++)
        {
            var at = start.AddSeconds(10 * i);
            var host = new HostUsage(_host, at, 10, 100, 200, 1, 2, 3, 4, 5, 6);
            await history.WriteAsync(at, [Usage(at, cpu(i))], host);
        }
    }

    [Fact]
    public async Task RollUp_TwoMinutesOfTenSecondPoints_WritesMinuteMinMaxAverage()
    {
        var history = database.NewHistory();
        var start = Now.AddMinutes(-10);
        await WriteMinutesAsync(history, start, 12, i => i); // cpu 0..5 in the first minute, 6..11 in the second

        await history.RollUpAsync(start.AddMinutes(2) + UsageHistory.RollUpLag);

        var minutes = (await database.PointsAsync(_host, 60)).Where(p => p.GuestUuid == _guest).ToList();
        Assert.Equal([start, start.AddMinutes(1)], minutes.Select(p => p.Bucket));
        Assert.Equal(2.5f, minutes[0].Cpu);
        Assert.Equal(0f, minutes[0].CpuMin);
        Assert.Equal(5f, minutes[0].CpuMax);
        Assert.Equal(11f, minutes[1].CpuMax);
        Assert.Equal(2000f, minutes[0].MemoryTotal);
        // the host's own series is rolled up beside its guests'
        Assert.Single(await database.PointsAsync(_host, 60), p => p.GuestUuid == Guid.Empty && p.Bucket == start);
    }

    [Fact]
    public async Task RollUp_RunTwiceAndAcrossTiers_WritesEachPointOnceAndKeepsExtremes()
    {
        var history = database.NewHistory();
        var start = UsageTiers.HalfHour.BucketOf(Now.AddMinutes(-50));
        await WriteMinutesAsync(history, start, 6 * 30, i => i == 7 ? 99 : 1);

        var end = start.AddMinutes(30) + UsageHistory.RollUpLag;
        await history.RollUpAsync(end);
        Assert.Equal(0, await history.RollUpAsync(end));

        var half = Assert.Single(await database.PointsAsync(_host, 1800), p => p.GuestUuid == _guest);
        Assert.Equal(start, half.Bucket);
        Assert.Equal(99f, half.CpuMax);
        Assert.Equal(1f, half.CpuMin);
        Assert.Equal(30, (await database.PointsAsync(_host, 60)).Count(p => p.GuestUuid == _guest));
    }

    [Fact]
    public async Task Prune_RemovesWhatIsOlderThanEachTierKeeps()
    {
        var history = database.NewHistory();
        // A raw point at 61 and one at 59 minutes ago.
        await WriteMinutesAsync(history, Now.AddMinutes(-61), 1, _ => 1);
        await WriteMinutesAsync(history, Now.AddMinutes(-59), 1, _ => 2);

        var removed = await history.PruneAsync(Now);

        Assert.Equal(2, removed); // the old guest point and its host's
        var raw = (await database.PointsAsync(_host, 10)).Where(p => p.GuestUuid == _guest).ToList();
        Assert.Equal([2f], raw.Select(p => p.Cpu));

        // Each coarser tier: a point just past what it keeps goes, one just inside stays.
        await using (var db = new VirtWebDbContext(new DbContextOptionsBuilder<VirtWebDbContext>().UseNpgsql(database.ConnectionString).Options))
        {
            foreach (var tier in UsageTiers.All.Skip(1))
            {
                db.UsagePoints.Add(new UsagePointRecord { HostId = _host, GuestUuid = _guest, Resolution = tier.Seconds, Bucket = Now - tier.Keep - tier.Step, Cpu = 1 });
                db.UsagePoints.Add(new UsagePointRecord { HostId = _host, GuestUuid = _guest, Resolution = tier.Seconds, Bucket = Now - tier.Keep + tier.Step, Cpu = 2 });
            }

            await db.SaveChangesAsync();
        }

        Assert.Equal(3, await history.PruneAsync(Now));
        foreach (var tier in UsageTiers.All.Skip(1))
        {
            Assert.Equal([2f], (await database.PointsAsync(_host, tier.Seconds)).Select(p => p.Cpu));
        }
    }

    [Fact]
    public async Task History_AppRestartsAndHostDisconnects_PointsKeptAndTheAbsenceIsAGap()
    {
        var start = Now.AddMinutes(-30);
        await WriteMinutesAsync(database.NewHistory(), start, 6, _ => 40);
        // The host was away for a minute (no loop, no points), then the app restarted and the host came back.
        await WriteMinutesAsync(database.NewHistory(), start.AddMinutes(2), 6, _ => 60);

        var rows = await database.NewHistory().ReadRawAsync(_host, _guest, start, start.AddMinutes(3));
        var series = UsageQueries.Fill(UsageTiers.Raw, start, start.AddMinutes(3), rows);

        Assert.Equal(18, series.Times.Count);
        var cpu = series.Values["Cpu"];
        Assert.All(cpu.Take(6), v => Assert.Equal(40f, v));
        Assert.All(cpu.Skip(6).Take(6), v => Assert.Null(v));
        Assert.All(cpu.Skip(12), v => Assert.Equal(60f, v));
    }

    [Fact]
    public async Task Write_GuestThatReportsNoMemory_StoresNullNotZero()
    {
        var history = database.NewHistory();
        await history.WriteAsync(Now, [Usage(Now, 5, memory: null)], null);

        var point = Assert.Single(await database.PointsAsync(_host, 10));
        Assert.Null(point.Memory);
        Assert.Equal(5f, point.Cpu);
    }
}

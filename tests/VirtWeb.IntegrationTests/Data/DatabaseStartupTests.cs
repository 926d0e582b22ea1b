namespace VirtWeb.IntegrationTests.Data;

[Collection(AppCollection.Name)]
public sealed class DatabaseStartupTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    [Fact]
    public async Task Startup_EmptyDatabase_AppliesEveryMigration()
    {
        var (known, applied) = await WithScopeAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
            return (db.Database.GetMigrations().ToList(), (await db.Database.GetAppliedMigrationsAsync()).ToList());
        });

        Assert.NotEmpty(known);
        Assert.Equal(known, applied);
    }

    [Fact]
    public async Task Readyz_DatabaseMigrated_ReportsHealthyWithoutSignIn()
    {
        var client = Factory.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthz_ProcessUp_ReportsHealthyWithoutSignIn()
    {
        var client = Factory.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadyCheck_PendingMigration_ReportsUnhealthy()
    {
        // A database nobody migrated: the check must say which migrations are missing instead of passing.
        var connectionString = TestPostgres.NewDatabaseConnectionString();
        try
        {
            var options = new DbContextOptionsBuilder<VirtWebDbContext>().UseNpgsql(connectionString).Options;
            await using (var db = new VirtWebDbContext(options))
            {
                await db.Database.EnsureCreatedAsync();
                await db.Database.ExecuteSqlRawAsync("DROP TABLE IF EXISTS \"__EFMigrationsHistory\"");
            }

            var check = new DatabaseReadyHealthCheck(new Microsoft.EntityFrameworkCore.Infrastructure.PooledDbContextFactory<VirtWebDbContext>(options));
            var result = await check.CheckHealthAsync(new());

            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, result.Status);
            Assert.Contains("InitialSchema", result.Description);
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(connectionString);
        }
    }
}

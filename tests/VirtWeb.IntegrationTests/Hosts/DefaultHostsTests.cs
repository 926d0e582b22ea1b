namespace VirtWeb.IntegrationTests.Hosts;

/// <summary>Has an app of its own: it removes the demo host the other host tests rely on.</summary>
public sealed class DefaultHostsTests(VirtWebFactory factory) : IntegrationTest(factory), IClassFixture<VirtWebFactory>
{
    [Fact]
    public async Task DefaultHosts_RemovedDemo_IsNotAddedAgain()
    {
        var admin = TestPrincipals.Administrator;
        var demoIds = await DemoHostIdsAsync();
        Assert.NotEmpty(demoIds);
        foreach (var id in demoIds)
        {
            await WithScopeAsync(async services =>
            {
                await services.GetRequiredService<HostService>().RemoveAsync(admin, id);
                return true;
            });
        }

        await Service<DefaultHosts>().AddOnFirstRunAsync(CancellationToken.None);

        Assert.Empty(await DemoHostIdsAsync());
    }

    private Task<List<Guid>> DemoHostIdsAsync() =>
        WithScopeAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
            return await db.Hosts.Where(h => h.Uri == DefaultHosts.DemoUri && h.AddedBy == "VirtWeb").Select(h => h.Id).ToListAsync();
        });
}

using Npgsql;

namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class AuditLogTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    [Theory]
    [InlineData("UPDATE \"AuditLog\" SET \"Outcome\" = 'Success'")]
    [InlineData("DELETE FROM \"AuditLog\"")]
    [InlineData("TRUNCATE \"AuditLog\"")]
    public async Task AuditTable_RewriteByTheAppsRole_RefusedByTheDatabase(string sql)
    {
        await Audit.WriteAsync("someone", null, "test.row", "/tests", AuditOutcome.Failure, "a row that must stay");
        var before = await CountAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(() => WithDb(db => db.Database.ExecuteSqlRawAsync(sql)));

        Assert.Contains("append-only", error.MessageText);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task SignIn_SuccessAndFailure_AreAuditedWithoutThePassword()
    {
        var userName = VirtWebFactory.UniqueUserName("audited");
        await Factory.CreateUserAsync(userName, Roles.Viewer);
        const string wrongPassword = "Wr0ng-Secret-Passw0rd!";
        var client = BrowserlessClient.Create(Factory);

        await client.SignInAsync(userName, wrongPassword);
        await client.SignInAsync(userName, VirtWebFactory.UserPassword);

        var rows = await WithDb(db => db.AuditLog.Where(r => r.Target == $"/users/{userName}").OrderBy(r => r.Id).ToListAsync());
        Assert.Equal([(AuditOutcome.Failure, "signin"), (AuditOutcome.Success, "signin")], rows.Select(r => (r.Outcome, r.Action)));
        Assert.All(rows, r => Assert.Equal(userName, r.UserName));
        var everything = await WithDb(db => db.AuditLog.Select(r => r.UserName + r.Action + r.Target + r.Detail).ToListAsync());
        Assert.DoesNotContain(everything, text => text.Contains(wrongPassword, StringComparison.Ordinal)
            || text.Contains(VirtWebFactory.UserPassword, StringComparison.Ordinal)
            || text.Contains(VirtWebFactory.AdminPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HostActions_SuccessAndDenial_AreAudited()
    {
        var admin = TestPrincipals.Of("root", Roles.Administrator);
        var viewer = TestPrincipals.Of("vic", Roles.Viewer);
        var host = await WithScopeAsync(s => s.GetRequiredService<HostService>().AddAsync(admin, new HostInput(VirtWebFactory.UniqueUserName("audit"), "esx://user:hunter2@esx1.example/")));

        await Assert.ThrowsAsync<AccessDeniedException>(() => WithScopeAsync(async s =>
        {
            await s.GetRequiredService<HostService>().RemoveAsync(viewer, host.Id);
            return true;
        }));

        var rows = await WithDb(db => db.AuditLog.Where(r => r.Target == $"/hosts/{host.Id}").OrderBy(r => r.Id).ToListAsync());
        Assert.Equal([("root", "host.add", AuditOutcome.Success), ("vic", "host.remove", AuditOutcome.Denied)], rows.Select(r => (r.UserName, r.Action, r.Outcome)));
        Assert.DoesNotContain("hunter2", rows[0].Detail);
        Assert.Contains("esx://user:***@esx1.example/", rows[0].Detail);
    }

    [Fact]
    public async Task Search_Viewer_IsRefusedAndTheRefusalAudited()
    {
        await Assert.ThrowsAsync<AccessDeniedException>(() => Service<AuditSearch>().SearchAsync(TestPrincipals.Of("peeker", Roles.Viewer), new AuditQuery()));

        var denial = await WithDb(db => db.AuditLog.OrderByDescending(r => r.Id).FirstAsync(r => r.UserName == "peeker"));
        Assert.Equal(("audit.search", AuditOutcome.Denied), (denial.Action, denial.Outcome));
    }

    [Fact]
    public async Task Search_ByUserAndAction_FindsOnlyThoseRows()
    {
        var name = VirtWebFactory.UniqueUserName("finder");
        await Audit.WriteAsync(name, null, "guest.start", "/hosts/x/guests/y", AuditOutcome.Success);
        await Audit.WriteAsync(name, null, "host.add", "/hosts/z", AuditOutcome.Success);

        var rows = await Service<AuditSearch>().SearchAsync(TestPrincipals.Of("root", Roles.Administrator), new AuditQuery(UserName: name, Action: "guest."));

        Assert.Equal("guest.start", Assert.Single(rows).Action);
    }

    [Fact]
    public async Task Write_NewRow_ReachesLiveSubscribers()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var subscription = Audit.Recent.Subscribe(cancellationToken: cancellation.Token);
        var name = VirtWebFactory.UniqueUserName("live");

        await Audit.WriteAsync(name, null, "test.live", "/tests", AuditOutcome.Success);

        await foreach (var batch in subscription.Changes.WithCancellation(cancellation.Token))
        {
            if (batch.Any(c => c.Item?.UserName == name))
            {
                return;
            }
        }
    }

    private AuditLog Audit => Service<AuditLog>();

    private Task<int> CountAsync() => WithDb(db => db.AuditLog.CountAsync());

    private Task<T> WithDb<T>(Func<VirtWebDbContext, Task<T>> action) =>
        WithScopeAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
            return await action(db);
        });
}

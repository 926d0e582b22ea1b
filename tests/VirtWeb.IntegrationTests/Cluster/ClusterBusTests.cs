using VirtWeb.Cluster;
using VirtWeb.Consoles;

namespace VirtWeb.IntegrationTests.Cluster;

/// <summary>Two app instances in this process on one PostgreSQL database and one Redis: what must reach the other at once.</summary>
public sealed class ClusterBusTests : IAsyncLifetime
{
    // Far below the 30 s periodic re-read: only the bus can make it.
    private static readonly TimeSpan OnTheBus = TimeSpan.FromSeconds(5);
    private readonly ClusterDatabase _database = new();
    private readonly string _prefix = TestRedis.NewPrefix();
    private ClusterAppFactory _a = null!;
    private ClusterAppFactory _b = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _a = new ClusterAppFactory("vwb-a", _database.ConnectionString, _prefix);
        await _a.InitializeAsync();
        _b = new ClusterAppFactory("vwb-b", _database.ConnectionString, _prefix);
        await _b.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _database.DisposeAsync();
        await TestRedis.DeletePrefixAsync(_prefix);
    }

    [Fact]
    public async Task Access_ViewerGrantSetOnA_BReadsItAgainAtOnceAndTellsItsPages()
    {
        var name = VirtWebFactory.UniqueUserName("vwb-op");
        var user = await _a.CreateUserAsync(name, Roles.Operator);
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, Roles.Operator)], "test"));
        var path = AccessPaths.Guest(Guid.NewGuid(), Guid.NewGuid());
        var accessOnB = _b.Services.GetRequiredService<AccessControl>();
        Assert.Equal(AccessRole.Operator, accessOnB.RoleOn(principal, path));
        var changedOnB = new TaskCompletionSource();
        accessOnB.Changed += () => changedOnB.TrySetResult();

        await _a.Services.GetRequiredService<GrantDirectory>().SetAsync(TestPrincipals.Administrator, name, path, AccessRole.Viewer);

        await changedOnB.Task.WaitAsync(OnTheBus);
        Assert.Equal(AccessRole.Viewer, accessOnB.RoleOn(principal, path));
    }

    [Fact]
    public async Task Tickets_IssuedOnA_RedeemedThroughBOnceAndNeverAgainAnywhere()
    {
        var (host, guest) = (Guid.NewGuid(), Guid.NewGuid());
        var ticket = await Tickets(_a).IssueAsync("u1", "ursula", "s1", host, guest, ConsoleKind.Graphics);

        var first = await Tickets(_b).RedeemAsync(ticket, "u1", "s1", host, guest, ConsoleKind.Graphics);
        var againOnB = await Tickets(_b).RedeemAsync(ticket, "u1", "s1", host, guest, ConsoleKind.Graphics);
        var againOnA = await Tickets(_a).RedeemAsync(ticket, "u1", "s1", host, guest, ConsoleKind.Graphics);

        Assert.Equal(TicketRefusal.None, first.Refusal);
        Assert.Equal("ursula", first.Ticket!.UserName);
        Assert.Equal(TicketRefusal.Unknown, againOnB.Refusal);
        Assert.Equal(TicketRefusal.Unknown, againOnA.Refusal);
    }

    [Fact]
    public async Task Tickets_RedeemedOnAAndBAtOnce_ExactlyOneOpens()
    {
        var (host, guest) = (Guid.NewGuid(), Guid.NewGuid());
        for (var i = 0; i < 20; i++)
        {
            var ticket = await Tickets(_a).IssueAsync("u1", "ursula", "s1", host, guest, ConsoleKind.Serial);

            var both = await Task.WhenAll(
                Task.Run(() => Tickets(_a).RedeemAsync(ticket, "u1", "s1", host, guest, ConsoleKind.Serial)),
                Task.Run(() => Tickets(_b).RedeemAsync(ticket, "u1", "s1", host, guest, ConsoleKind.Serial)));

            Assert.Single(both, r => r.Refusal == TicketRefusal.None);
            Assert.Single(both, r => r.Refusal == TicketRefusal.Unknown);
        }
    }

    [Fact]
    public async Task Readyz_RedisAnswers_Ready()
    {
        using var client = _b.CreateClient();

        var ready = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static ConsoleTickets Tickets(ClusterAppFactory instance) => instance.Services.GetRequiredService<ConsoleTickets>();
}

using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using VirtWeb.Degraded;

namespace VirtWeb.IntegrationTests.Degraded;

/// <summary>Stopping PostgreSQL disturbs every other test of the process: this collection runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DatabaseOutageCollection : ICollectionFixture<VirtWebFactory>
{
    public const string Name = "database outage";
}

[Collection(DatabaseOutageCollection.Name)]
public sealed class DatabaseOutageTests(VirtWebFactory factory) : GuestTest(factory)
{
    [Fact]
    public async Task DatabaseOutage_PostgresStopped_LiveStaysBannerShowsActionsRefusedThenAllResumes()
    {
        var hostId = await AddPrivateHostAsync();
        var userName = VirtWebFactory.UniqueUserName("dboutage");
        var user = await Factory.CreateUserAsync(userName, Roles.Operator);
        var caller = TestPrincipals.WithId(user.Id);
        // The account was stored behind VirtWeb's back: read it now instead of at the next reload.
        await Service<AccessControl>().ReloadAsync();
        var cookie = await SignInCookieAsync(userName);
        await using var hub = await WatchAsync(cookie, hostId);
        var health = Service<DatabaseHealth>();
        try
        {
            await TestPostgresCluster.StopAsync();
            await Eventually.ValueAsync(() => health.Outage, _ => true, Deadline, "the app notices that PostgreSQL is gone");

            // An open live page keeps receiving libvirt's changes.
            using (var web = Connection(hostId).GetDomainByUuid(Web))
            {
                web.Destroy();
            }

            await ReadUntilAsync(hub, batch => batch.Any(c =>
                c.GetProperty("key").GetString() == GuestState.KeyOf(hostId, Web) &&
                c.GetProperty("item").GetProperty("state").GetInt32() == (int)DomainState.Shutoff));

            // A new page request: the live page with the banner, or VirtWeb's own page about the database; never a bare 500.
            var page = await GetAsync("/guests", cookie);
            var body = await page.Content.ReadAsStringAsync();
            Assert.True(
                (page.StatusCode == HttpStatusCode.OK && body.Contains("data-testid=\"database-banner\"", StringComparison.Ordinal)) ||
                (page.StatusCode == HttpStatusCode.ServiceUnavailable && body.Contains("VirtWeb cannot reach its database", StringComparison.Ordinal)),
                $"/guests answered {(int)page.StatusCode}: {body[..Math.Min(body.Length, 600)]}");
            var login = await (await GetAsync("/Account/Login", cookie: null)).Content.ReadAsStringAsync();
            Assert.Contains("cannot check accounts now", login, StringComparison.Ordinal);

            // An action is refused with the reason, before it touches libvirt.
            var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.RunAsync(caller, hostId, Db, GuestAction.Start));
            Assert.Contains("cannot reach its database", refused.Message, StringComparison.Ordinal);
            Assert.Equal(DomainState.Shutoff, StateOf(hostId, Db));
        }
        finally
        {
            await TestPostgresCluster.StartAsync();
        }

        // Back without a restart: the banner goes, the action works and is audited.
        await Eventually.ValueAsync(() => health.IsReachable ? health : null, _ => true, Deadline, "the app notices that PostgreSQL is back");
        var again = await GetAsync("/guests", cookie);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.DoesNotContain("database-banner", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var result = await Guests.RunAsync(caller, hostId, Db, GuestAction.Start);
        Assert.True(result.Done, result.Message);
        Assert.Equal(DomainState.Running, StateOf(hostId, Db));
        var target = AccessPaths.Guest(hostId, Db);
        var rows = await AuditRowsAsync(r => r.Target == target && r.Action == "guest.start");
        Assert.Equal(AuditOutcome.Success, Assert.Single(rows).Outcome);
    }

    private DomainState StateOf(Guid hostId, Guid uuid)
    {
        using var domain = Connection(hostId).GetDomainByUuid(uuid);
        return domain.GetState().State;
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string? cookie)
    {
        using var client = Factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return await client.SendAsync(request);
    }

    private async Task<string> SignInCookieAsync(string userName)
    {
        var response = await BrowserlessClient.Create(Factory).SignInAsync(userName, VirtWebFactory.UserPassword);
        var cookies = response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        Assert.Contains(cookies, c => c.StartsWith("VirtWeb.Auth=", StringComparison.Ordinal));
        return string.Join("; ", cookies);
    }

    /// <summary>A live page's connection: the hub, watching <paramref name="hostId"/>, collecting every change batch.</summary>
    private async Task<HubClient> WatchAsync(string cookie, Guid hostId)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Factory.Server.BaseAddress, LiveHub.Path), options =>
            {
                options.HttpMessageHandlerFactory = _ => Factory.Server.CreateHandler();
                options.Transports = HttpTransportType.LongPolling;
                options.Headers["Cookie"] = cookie;
            })
            .Build();
        var changes = Channel.CreateUnbounded<List<JsonElement>>();
        connection.On<List<JsonElement>>("GuestChanges", batch => changes.Writer.TryWrite(batch));
        await connection.StartAsync();
        await connection.InvokeAsync<JsonElement>("WatchHost", hostId);
        return new HubClient(connection, changes.Reader);
    }

    private async Task ReadUntilAsync(HubClient hub, Func<List<JsonElement>, bool> seen)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        while (!seen(await hub.Changes.ReadAsync(timeout.Token)))
        {
        }
    }

    private sealed record HubClient(HubConnection Connection, ChannelReader<List<JsonElement>> Changes) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }
}

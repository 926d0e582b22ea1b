using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace VirtWeb.IntegrationTests.Live;

[Collection(AppCollection.Name)]
public sealed class LiveHubTests(VirtWebFactory factory) : GuestTest(factory)
{
    [Fact]
    public async Task LiveHub_SignedInViewer_GetsSnapshotThenTheGuestChangeOfTheWatchedHost()
    {
        var hostId = await AddPrivateHostAsync();
        var otherHostId = await AddPrivateHostAsync();
        var userName = VirtWebFactory.UniqueUserName("hubviewer");
        await Factory.CreateUserAsync(userName, Roles.Viewer);
        await using var hub = await StartAsync(userName);

        var snapshot = await hub.Connection.InvokeAsync<JsonElement>("WatchHost", hostId);
        var names = snapshot.GetProperty("guests").EnumerateArray().Select(g => g.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["db", "web"], names);

        // A change on a host this client does not watch must not reach it; the watched one must.
        ForceOff(otherHostId);
        ForceOff(hostId);

        var webKey = GuestState.KeyOf(hostId, Guid.Parse(GuestWorld.RunningUuid));
        await ReadUntilAsync(hub, batch =>
        {
            Assert.All(batch, c => Assert.StartsWith(hostId.ToString(), c.GetProperty("key").GetString()));
            var web = batch.FirstOrDefault(c => c.GetProperty("key").GetString() == webKey);
            if (web.ValueKind != JsonValueKind.Undefined && web.GetProperty("item").GetProperty("state").GetInt32() == (int)DomainState.Shutoff)
            {
                Assert.Equal("upsert", web.GetProperty("kind").GetString());
                // The store's version goes out with the change, for clients to order changes by (the load bench checks it);
                // the store may since have re-stamped the same state with a later one (a re-read), never an earlier one.
                Assert.InRange(web.GetProperty("version").GetInt64(), 1, Factory.Services.GetRequiredService<LiveStateStore>().Guests.VersionOf(webKey)!.Value);
                return true;
            }

            return false;
        });
    }

    [Fact]
    public async Task LiveHub_ViewerWithNoAccessOnOneGuest_NeverHearsOfIt()
    {
        var hostId = await AddPrivateHostAsync();
        var userName = VirtWebFactory.UniqueUserName("hubnarrow");
        await Factory.CreateUserAsync(userName, Roles.Viewer);
        var web = Guid.Parse(GuestWorld.RunningUuid);
        await Service<GrantDirectory>()
            .SetAsync(TestPrincipals.Administrator, userName, AccessPaths.Guest(hostId, web), AccessRole.NoAccess);
        await using var hub = await StartAsync(userName);

        var snapshot = await hub.Connection.InvokeAsync<JsonElement>("WatchHost", hostId);
        Assert.Equal(["db"], snapshot.GetProperty("guests").EnumerateArray().Select(g => g.GetProperty("name").GetString()));

        // The hidden guest changes first, then the visible one: by the time the visible change arrives, the hidden one
        // has been sent (or not) too, since one watch loop forwards both in order.
        ForceOff(hostId);
        using (var domain = Domain(hostId, GuestWorld.ShutOffUuid))
        {
            domain.Start();
        }

        var dbKey = GuestState.KeyOf(hostId, Guid.Parse(GuestWorld.ShutOffUuid));
        await ReadUntilAsync(hub, batch =>
        {
            Assert.DoesNotContain(batch, c => c.GetProperty("key").GetString() == GuestState.KeyOf(hostId, web));
            return batch.Any(c => c.GetProperty("key").GetString() == dbKey && c.GetProperty("item").GetProperty("state").GetInt32() == (int)DomainState.Running);
        });
    }

    [Fact]
    public async Task LiveHub_GuestUndefined_ItsDeletionReachesTheHostGroup()
    {
        var hostId = await AddPrivateHostAsync();
        var userName = VirtWebFactory.UniqueUserName("hubdelete");
        await Factory.CreateUserAsync(userName, Roles.Viewer);
        await using var hub = await StartAsync(userName);
        await hub.Connection.InvokeAsync<JsonElement>("WatchHost", hostId);

        // A deletion carries only the key; the hub still knows which host's group and which grant path it belongs to.
        using (var domain = Domain(hostId, GuestWorld.ShutOffUuid))
        {
            domain.Undefine();
        }

        var dbKey = GuestState.KeyOf(hostId, Guid.Parse(GuestWorld.ShutOffUuid));
        await ReadUntilAsync(hub, batch =>
        {
            if (batch.FirstOrDefault(c => c.GetProperty("key").GetString() == dbKey) is not { ValueKind: JsonValueKind.Object } db)
            {
                return false;
            }

            Assert.Equal("delete", db.GetProperty("kind").GetString());
            return true;
        });
    }

    [Fact]
    public async Task LiveHub_Anonymous_IsRefused()
    {
        await using var hub = Connect(cookie: null);

        await Assert.ThrowsAnyAsync<Exception>(() => hub.StartAsync());
    }

    /// <summary>Signs <paramref name="userName"/> in and connects, collecting every "GuestChanges" batch.</summary>
    private async Task<HubClient> StartAsync(string userName)
    {
        var hub = Connect(await SignInCookieAsync(userName));
        var changes = Channel.CreateUnbounded<List<JsonElement>>();
        hub.On<List<JsonElement>>("GuestChanges", batch => changes.Writer.TryWrite(batch));
        await hub.StartAsync();
        return new HubClient(hub, changes.Reader);
    }

    private sealed record HubClient(HubConnection Connection, ChannelReader<List<JsonElement>> Changes) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }

    /// <summary>Reads batches until <paramref name="seen"/> (which may assert on each) says the awaited one came.</summary>
    private async Task ReadUntilAsync(HubClient hub, Func<List<JsonElement>, bool> seen)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        while (!seen(await hub.Changes.ReadAsync(timeout.Token)))
        {
        }
    }

    private LibvirtDomain Domain(Guid hostId, string uuid) =>
        Connection(hostId).GetDomainByUuid(Guid.Parse(uuid));

    private HubConnection Connect(string? cookie) => new HubConnectionBuilder()
        .WithUrl(new Uri(Factory.Server.BaseAddress, LiveHub.Path), options =>
        {
            options.HttpMessageHandlerFactory = _ => Factory.Server.CreateHandler();
            // The test server has no real sockets; long polling goes through its handler.
            options.Transports = HttpTransportType.LongPolling;
            if (cookie is not null)
            {
                options.Headers["Cookie"] = cookie;
            }
        })
        .Build();

    private async Task<string> SignInCookieAsync(string userName)
    {
        var response = await BrowserlessClient.Create(Factory).SignInAsync(userName, VirtWebFactory.UserPassword);
        var cookies = response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        Assert.Contains(cookies, c => c.StartsWith("VirtWeb.Auth=", StringComparison.Ordinal));
        return string.Join("; ", cookies);
    }

    private void ForceOff(Guid hostId)
    {
        using var domain = Domain(hostId, GuestWorld.RunningUuid);
        domain.Destroy();
    }
}

using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Identity;
using VirtWeb.Consoles;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Consoles;

/// <summary>Issue 8's security acceptance: who gets a ticket, and which upgrades are refused (403, never 101).</summary>
public sealed class ConsoleProxyTests(ConsoleWorld world) : IClassFixture<ConsoleWorld>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ticket_Viewer_Forbidden()
    {
        var viewer = await SignInAsync(world.ViewerName);

        using var response = await viewer.RequestTicketAsync(world.QemuHostId, world.GuestA);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Upgrade_OperatorTicket_ShowsTheScreenWithoutTheVncPassword()
    {
        var (operatorClient, grant) = await OperatorTicketAsync(world.GuestA);

        using var socket = await operatorClient.ConnectAsync(WithTicket(grant));
        await using var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        var frame = await VncScreen.CaptureAsync(stream, Deadline);

        Assert.True(frame.Width > 0 && frame.Height > 0);
        Assert.True(frame.CountDistinctColours() > 1, "the screen is blank");
        Assert.DoesNotContain("s3cretPw", grant.Ticket + grant.Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upgrade_WithoutTicket_Forbidden()
    {
        var operatorClient = await SignInAsync(world.OperatorName);

        Assert.Equal(403, await operatorClient.RefusedStatusAsync(ConsoleService.WebSocketPath(ConsoleKind.Graphics, world.QemuHostId, world.GuestA)));
    }

    [Fact]
    public async Task Upgrade_UsedTicket_Forbidden()
    {
        var (operatorClient, grant) = await OperatorTicketAsync(world.GuestA);
        using (var first = await operatorClient.ConnectAsync(WithTicket(grant)))
        {
            await first.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        Assert.Equal(403, await operatorClient.RefusedStatusAsync(WithTicket(grant)));
    }

    [Fact]
    public async Task Upgrade_ExpiredTicket_Forbidden()
    {
        var (operatorClient, grant) = await OperatorTicketAsync(world.GuestA);

        world.Factory.Clock.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(403, await operatorClient.RefusedStatusAsync(WithTicket(grant)));
    }

    [Fact]
    public async Task Upgrade_AnotherUsersTicket_Forbidden()
    {
        var owner = await SignInAsync(world.OperatorName);
        var other = await SignInAsync(world.OtherOperatorName);
        var grant = await owner.TicketAsync(world.QemuHostId, world.GuestA);

        Assert.Equal(403, await other.RefusedStatusAsync(WithTicket(grant)));
    }

    [Fact]
    public async Task Upgrade_SameUsersOtherSignIn_Forbidden()
    {
        var first = await SignInAsync(world.OperatorName);
        var second = await SignInAsync(world.OperatorName);
        var grant = await first.TicketAsync(world.QemuHostId, world.GuestA);

        Assert.Equal(403, await second.RefusedStatusAsync(WithTicket(grant)));
    }

    [Fact]
    public async Task Upgrade_TicketForAnotherGuest_Forbidden()
    {
        var (operatorClient, grant) = await OperatorTicketAsync(world.GuestA);
        var otherGuest = ConsoleService.WebSocketPath(ConsoleKind.Graphics, world.QemuHostId, world.GuestB);

        Assert.Equal(403, await operatorClient.RefusedStatusAsync($"{otherGuest}?ticket={grant.Ticket}"));
    }

    [Fact]
    public async Task Upgrade_GraphicsTicketOnSerialPath_Forbidden()
    {
        var (operatorClient, grant) = await OperatorTicketAsync(world.GuestA);
        var serial = ConsoleService.WebSocketPath(ConsoleKind.Serial, world.QemuHostId, world.GuestA);

        Assert.Equal(403, await operatorClient.RefusedStatusAsync($"{serial}?ticket={grant.Ticket}"));
    }

    [Fact]
    public async Task Upgrade_ForeignOrigin_Forbidden()
    {
        var (operatorClient, grant) = await OperatorTicketAsync(world.GuestA);

        Assert.Equal(403, await operatorClient.RefusedStatusAsync(WithTicket(grant), origin: "https://evil.example"));
    }

    [Fact]
    public async Task Upgrade_HostAndPortInQuery_ChangeNothing()
    {
        var (operatorClient, grant) = await OperatorTicketAsync(world.GuestA);

        // A listener of our own stands where the query string points: the proxy must not go there.
        using var decoy = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        decoy.Start();
        var decoyPort = ((IPEndPoint)decoy.LocalEndpoint).Port;
        using var socket = await operatorClient.ConnectAsync($"{grant.Path}?ticket={grant.Ticket}&host=127.0.0.1&port={decoyPort}");
        await using var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        var banner = new byte[12];
        using var timeout = new CancellationTokenSource(Deadline);
        await stream.ReadExactlyAsync(banner, timeout.Token);

        Assert.Equal("RFB 003.008\n", Encoding.ASCII.GetString(banner));
        Assert.False(decoy.Pending(), "the proxy connected to the host and port from the query string");
    }

    [Fact]
    public async Task Ticket_GuestWithoutGraphics_ConflictNamingTheProblem()
    {
        var operatorClient = await SignInAsync(world.OperatorName);

        using var response = await operatorClient.RequestTicketAsync(world.PrivateHostId, Guid.Parse(GuestWorld.RunningUuid));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no graphical display", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ticket_StoppedGuest_ConflictNamingTheProblem()
    {
        var operatorClient = await SignInAsync(world.OperatorName);

        using var response = await operatorClient.RequestTicketAsync(world.PrivateHostId, Guid.Parse(GuestWorld.ShutOffUuid));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("not running", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ticket_SerialOnGuestWithoutSerialPort_ConflictNamingTheProblem()
    {
        var operatorClient = await SignInAsync(world.OperatorName);

        using var response = await operatorClient.RequestTicketAsync(world.PrivateHostId, Guid.Parse(GuestWorld.RunningUuid), "serial");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no serial console", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ticket_DeletedGuest_ConflictNamingTheProblem()
    {
        var operatorClient = await SignInAsync(world.OperatorName);

        using var response = await operatorClient.RequestTicketAsync(world.QemuHostId, Guid.NewGuid());

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no longer exists", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Console_GuestDeletedWhileOpen_ClosesSayingTheGuestIsGone()
    {
        var uuid = world.Start("gone");
        var (operatorClient, grant) = await OperatorTicketAsync(uuid);
        using var socket = await operatorClient.ConnectAsync(WithTicket(grant));

        var domain = world.Domain(uuid);
        domain.Destroy();
        domain.Undefine();

        Assert.Equal(ConsoleProxy.CloseGuestGone, await CloseStatusAsync(socket));
    }

    [Fact]
    public async Task Console_RoleRemovedWhileOpen_Closed()
    {
        var name = VirtWebFactory.UniqueUserName("demoted");
        using var socket = await OpenGuestAAsNewOperatorAsync(name);

        await world.Factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<ApplicationUser>>();
            var user = (await users.FindByNameAsync(name))!;
            return await users.RemoveFromRoleAsync(user, Roles.Operator);
        });

        Assert.Equal(ConsoleProxy.CloseRevoked, await CloseStatusAsync(socket));
    }

    [Fact]
    public async Task Console_NoAccessGrantedOnTheGuestWhileOpen_Closed()
    {
        var name = VirtWebFactory.UniqueUserName("narrowed");
        using var socket = await OpenGuestAAsNewOperatorAsync(name);

        await world.Service<GrantDirectory>().SetAsync(GuestWorld.Admin, name, AccessPaths.Guest(world.QemuHostId, world.GuestA), AccessRole.Viewer);

        Assert.Equal(ConsoleProxy.CloseRevoked, await CloseStatusAsync(socket));
    }

    [Fact]
    public async Task BadInput_NoDisplayStoppedDeletedAndDeletedWhileOpen_MessagesButNoExceptionLogged()
    {
        var start = world.Factory.Logs.Count;
        var operatorClient = await SignInAsync(world.OperatorName);
        var uuid = world.Start("bad");
        var grant = await operatorClient.TicketAsync(world.QemuHostId, uuid);
        using var socket = await operatorClient.ConnectAsync(WithTicket(grant));

        using (var noDisplay = await operatorClient.RequestTicketAsync(world.PrivateHostId, Guid.Parse(GuestWorld.RunningUuid)))
        using (var stopped = await operatorClient.RequestTicketAsync(world.PrivateHostId, Guid.Parse(GuestWorld.ShutOffUuid)))
        using (var deleted = await operatorClient.RequestTicketAsync(world.QemuHostId, Guid.NewGuid()))
        {
            Assert.All([noDisplay, stopped, deleted], r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        }
        var domain = world.Domain(uuid);
        domain.Destroy();
        domain.Undefine();
        Assert.Equal(ConsoleProxy.CloseGuestGone, await CloseStatusAsync(socket));

        // The audit trail logs every refusal, so an empty capture would mean the capture is broken, not the app quiet.
        Assert.True(world.Factory.Logs.Count > start, "nothing was logged at all");
        Assert.Empty(world.Factory.Logs.FailuresSince(start));
    }

    [Fact]
    public async Task Console_AccountDisabledWhileOpen_Closed()
    {
        var name = VirtWebFactory.UniqueUserName("disabled");
        using var socket = await OpenGuestAAsNewOperatorAsync(name);

        await world.Factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<ApplicationUser>>();
            var user = (await users.FindByNameAsync(name))!;
            user.IsDisabled = true;
            return await users.UpdateAsync(user);
        });

        Assert.Equal(ConsoleProxy.CloseRevoked, await CloseStatusAsync(socket));
    }

    [Fact]
    public async Task Console_AdministratorEndsIt_ClosedAndAudited()
    {
        var name = VirtWebFactory.UniqueUserName("ended");
        using var socket = await OpenGuestAAsNewOperatorAsync(name);
        var sessions = world.Service<ConsoleSessions>();
        var open = Assert.Single(sessions.List(GuestWorld.Admin), s => s.UserName == name);
        Assert.Equal(world.GuestA, open.Uuid);

        await sessions.EndAsync(GuestWorld.Admin, open.Id);

        Assert.Equal(ConsoleProxy.CloseEnded, await CloseStatusAsync(socket));
        Assert.Contains(await AuditAsync(world.GuestA), r => r.Action == "console.end" && r.Outcome == AuditOutcome.Success && r.Detail!.Contains(name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sessions_Operator_MayNotListOrEnd()
    {
        var sessions = world.Service<ConsoleSessions>();
        var operatorPrincipal = GuestWorld.Principal(Roles.Operator);

        Assert.Throws<AccessDeniedException>(() => sessions.List(operatorPrincipal));
        await Assert.ThrowsAsync<AccessDeniedException>(() => sessions.EndAsync(operatorPrincipal, Guid.NewGuid()));
    }

    [Fact]
    public async Task Audit_OpenAndClose_WrittenWithoutTheTicket()
    {
        var uuid = world.GuestB;
        var (operatorClient, grant) = await OperatorTicketAsync(uuid);
        using (var socket = await operatorClient.ConnectAsync(WithTicket(grant)))
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        var rows = await Eventually.ValueAsync(
            () => AuditAsync(uuid).GetAwaiter().GetResult(),
            r => r.Any(x => x.Action == "console.close" && x.UserName == world.OperatorName),
            Deadline,
            "the close is audited");
        Assert.Contains(rows, r => r.Action == "console.open" && r.Outcome == AuditOutcome.Success && r.UserName == world.OperatorName);
        Assert.DoesNotContain(rows, r => (r.Detail ?? string.Empty).Contains(grant.Ticket, StringComparison.Ordinal) || r.Target.Contains(grant.Ticket, StringComparison.Ordinal));
    }

    private Task<ConsoleClient> SignInAsync(string userName) => ConsoleClient.SignInAsync(world.Factory, userName);

    /// <summary>The usual Operator, signed in, with a graphics ticket for <paramref name="uuid"/> on the QEMU host.</summary>
    private async Task<(ConsoleClient Client, ConsoleTicketGrant Grant)> OperatorTicketAsync(Guid uuid)
    {
        var client = await SignInAsync(world.OperatorName);
        return (client, await client.TicketAsync(world.QemuHostId, uuid));
    }

    /// <summary>Creates the Operator <paramref name="name"/> (a user of its own, whose role, grants and account a test may change) and opens guest A's screen as them.</summary>
    private async Task<WebSocket> OpenGuestAAsNewOperatorAsync(string name)
    {
        await world.Factory.CreateUserAsync(name, Roles.Operator);
        var client = await SignInAsync(name);
        var grant = await client.TicketAsync(world.QemuHostId, world.GuestA);
        return await client.ConnectAsync(WithTicket(grant));
    }

    private static string WithTicket(ConsoleTicketGrant grant) => $"{grant.Path}?ticket={grant.Ticket}";

    private Task<IReadOnlyList<AuditRecord>> AuditAsync(Guid uuid) =>
        world.Service<AuditSearch>().SearchAsync(GuestWorld.Admin, new AuditQuery(Target: AccessPaths.Guest(world.QemuHostId, uuid)));

    private static async Task<int> CloseStatusAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return (int)received.CloseStatus!.Value;
            }
        }
    }
}

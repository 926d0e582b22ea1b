using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Identity;
using VirtWeb.Api.Tokens;
using VirtWeb.Consoles;
using VirtWeb.IntegrationTests.Consoles;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Api;

/// <summary>
/// A script-driven VNC client: its API token asks for a console ticket, and the ticket alone opens the console
/// websocket once; the token itself never opens it. On the console room's world (QEMU guests with VNC).
/// </summary>
public sealed class ApiConsoleTests(ConsoleWorld world) : IClassFixture<ConsoleWorld>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TokenTicket_OpensTheScreenOnce_TokenOnTheWebsocketRefused()
    {
        var token = await OperatorTokenAsync();
        using var http = world.Factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var grant = await TicketAsync(http);
        using (var socket = await ConnectAsync($"{grant.Path}?ticket={grant.Ticket}"))
        {
            await using var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
            var frame = await VncScreen.CaptureAsync(stream, Deadline);
            Assert.True(frame.Width > 0 && frame.CountDistinctColours() > 1, "the screen is blank");
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        Assert.Equal(403, await RefusedStatusAsync($"{grant.Path}?ticket={grant.Ticket}"));

        // The token on the websocket: refused alone, and refused beside a fresh, valid ticket; it is the token that is
        // refused (before the ticket is read, as a foreign Origin is), so the ticket then opens the console without it.
        Assert.Equal(403, await RefusedStatusAsync(grant.Path, token));
        var fresh = await TicketAsync(http);
        Assert.Equal(403, await RefusedStatusAsync($"{fresh.Path}?ticket={fresh.Ticket}", token));
        using (var socket = await ConnectAsync($"{fresh.Path}?ticket={fresh.Ticket}"))
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
    }

    [Fact]
    public async Task BrowserTicket_WithoutItsCookie_Refused()
    {
        var browser = await ConsoleClient.SignInAsync(world.Factory, world.OperatorName);
        var grant = await browser.TicketAsync(world.QemuHostId, world.GuestA);

        Assert.Equal(403, await RefusedStatusAsync($"{grant.Path}?ticket={grant.Ticket}"));
    }

    private async Task<string> OperatorTokenAsync()
    {
        var user = await world.Factory.WithScopeAsync(services => services.GetRequiredService<UserManager<ApplicationUser>>().FindByNameAsync(world.OperatorName));
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user!.Id), new Claim(ClaimTypes.Name, user.UserName!)], "Identity.Application"));
        // A token's calls find the user's role in access control's copy of the accounts, as a cookie's claims do not.
        await world.Factory.Services.GetRequiredService<AccessControl>().ReloadAsync();
        var issued = await world.Factory.Services.GetRequiredService<ApiTokenService>().IssueAsync(principal, new ApiTokenRequest("vwapi-console"));
        return issued.Secret;
    }

    private async Task<ConsoleTicketGrant> TicketAsync(HttpClient http)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/hosts/{world.QemuHostId}/guests/{world.GuestA}/console-tickets", new { kind = "graphics" });
        Assert.True(response.IsSuccessStatusCode, $"ticket refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ConsoleTicketGrant>())!;
    }

    /// <summary>A websocket as a script opens it: no cookie, no Origin; a refused upgrade throws with its status.</summary>
    private async Task<WebSocket> ConnectAsync(string pathAndQuery, string? bearer = null)
    {
        var client = world.Factory.Server.CreateWebSocketClient();
        client.SubProtocols.Add("binary");
        if (bearer is not null)
        {
            client.ConfigureRequest = request => request.Headers.Authorization = $"Bearer {bearer}";
        }
        var address = new Uri(world.Factory.Server.BaseAddress, pathAndQuery);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await client.ConnectAsync(new UriBuilder(address) { Scheme = "ws" }.Uri, timeout.Token);
    }

    private async Task<int> RefusedStatusAsync(string pathAndQuery, string? bearer = null)
    {
        try
        {
            using var socket = await ConnectAsync(pathAndQuery, bearer);
            Assert.Fail($"the websocket opened (101) for {pathAndQuery}");
            return 101;
        }
        catch (InvalidOperationException e) when (e.Message.Contains("status code", StringComparison.OrdinalIgnoreCase))
        {
            return int.Parse(e.Message[(e.Message.LastIndexOf(' ') + 1)..].TrimEnd('.'), System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

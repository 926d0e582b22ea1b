using System.Buffers;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;

namespace VirtWeb.Consoles;

/// <summary>
/// The console websocket: checks the Origin and the ticket before anything is upgraded (every refusal is a 403, never
/// a 101), connects to the guest on the server, then pipes bytes both ways as they arrive: each read is sent on at
/// once, so no frame is ever buffered whole. While open, it re-checks the user every
/// <see cref="ConsoleOptions.RecheckInterval"/> and closes when the right is gone or an Administrator ends it.
/// </summary>
public sealed class ConsoleProxy(
    ConsoleTickets tickets,
    ConsoleTargets targets,
    ConsoleSessions sessions,
    IConsoleAccess access,
    AuditLog audit,
    LiveStateStore store,
    TimeProvider timeProvider,
    IOptions<ConsoleOptions> options,
    ILogger<ConsoleProxy> logger)
{
    /// <summary>Close codes the page turns into a message (4000-4999 are the application's own).</summary>
    public const int CloseGuestGone = 4000;
    public const int CloseRevoked = 4001;
    public const int CloseEnded = 4002;

    // Screen updates come from QEMU in reads of what its socket holds, which 64 KiB always covers. Upstream, a paste or a
    // file is a message of up to 1 MiB from the browser: taken in 256 KiB pieces it is four writes to the guest, not
    // sixteen, each a receive, an unmask and a send fewer.
    private const int BufferSize = 64 * 1024;
    private const int UpstreamBufferSize = 256 * 1024;
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    public async Task HandleAsync(HttpContext context, ConsoleKind kind, Guid hostId, Guid uuid)
    {
        var user = context.User;
        var auditTarget = AccessPaths.Guest(hostId, uuid);
        var remote = context.Connection.RemoteIpAddress?.ToString();

        // An API token is never a console credential, not even beside a valid ticket: a script asks for a ticket with it.
        if (context.Request.Headers.Authorization.Count > 0)
        {
            await RefuseAsync(context, "API tokens do not open consoles: ask POST /api/v1/hosts/{host}/guests/{uuid}/console-tickets for a ticket, and open this websocket with ?ticket= alone.");
            return;
        }

        // Browsers always send Origin with a websocket, so a foreign one is refused outright. Only a script (no sign-in
        // cookie) may go without: its ticket, issued to an API token, is then the whole credential.
        var origin = context.Request.Headers.Origin is [{ } sent, ..] ? sent : null;
        var scripted = user.Identity?.IsAuthenticated != true;
        if ((origin is not null && !OriginCheck.IsSameOrigin(origin, context.Request)) || (origin is null && !scripted))
        {
            await RefuseAsync(context, "This console may only be opened from VirtWeb's own pages.");
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("This address only takes console websockets.");
            return;
        }

        var (refusal, ticket) = scripted
            ? await tickets.RedeemForScriptAsync(context.Request.Query["ticket"], hostId, uuid, kind)
            : await tickets.RedeemAsync(context.Request.Query["ticket"], user.FindFirstValue(ClaimTypes.NameIdentifier), SignInSession.Of(user), hostId, uuid, kind);
        if (scripted && ticket is not null)
        {
            user = ScriptUser(ticket);
        }
        if (refusal != TicketRefusal.None || ticket is null)
        {
            // The ticket itself is never written anywhere: only why it did not count.
            await audit.WriteAsync(user, "console.open", auditTarget, AuditOutcome.Denied, $"console ticket refused: {Describe(refusal)}", remote);
            await RefuseAsync(context, $"This console ticket is not valid ({Describe(refusal)}). Open the console again from the guest's page.");
            return;
        }
        if (!await access.MayStillUseAsync(ticket.UserId, hostId, uuid, context.RequestAborted))
        {
            await audit.WriteAsync(user, "console.open", auditTarget, AuditOutcome.Denied, "no longer allowed to use consoles", remote);
            await RefuseAsync(context, "You may no longer open consoles.");
            return;
        }

        Stream target;
        try
        {
            target = await targets.OpenAsync(hostId, uuid, kind, context.RequestAborted);
        }
        catch (ConsoleUnavailableException e)
        {
            await audit.WriteAsync(user, "console.open", auditTarget, AuditOutcome.Failure, e.Message, remote);
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            await context.Response.WriteAsync(e.Message);
            return;
        }

        await using (target)
        {
            // Each keystroke and each screen update is a small message sent at once: no Nagle delay on either leg (the
            // guest's TCP leg sets it where it connects; a UNIX socket has none).
            if (context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket is { ProtocolType: ProtocolType.Tcp } browserSocket)
            {
                browserSocket.NoDelay = true;
            }

            var subProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains("binary") ? "binary" : null;
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subProtocol, DangerousEnableCompression = false });
            var guestName = store.Guests.Find(GuestState.KeyOf(hostId, uuid))?.Name ?? uuid.ToString();
            var opened = timeProvider.GetUtcNow();
            using var registration = sessions.Open(new ConsoleSession(Guid.NewGuid(), ticket.UserId, ticket.UserName, hostId, uuid, guestName, kind, opened, remote));
            await audit.WriteAsync(user, "console.open", auditTarget, AuditOutcome.Success, $"{ConsoleKinds.Name(kind)} console", remote);
            var reason = await PipeAsync(socket, target, registration, context.RequestAborted);
            var minutes = (timeProvider.GetUtcNow() - opened).TotalMinutes;
            await audit.WriteAsync(user, "console.close", auditTarget, AuditOutcome.Success,
                FormattableString.Invariant($"{ConsoleKinds.Name(kind)} console after {minutes:0.#} min: {reason}"), remote);
        }
    }

    private async Task<string> PipeAsync(WebSocket socket, Stream target, ConsoleSessions.Registration registration, CancellationToken aborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, registration.Ending);
        // Cancelling a websocket receive or send aborts the socket without a close frame, and the page could not say
        // why the console ended: the websocket calls take no token, and they end when the target or the socket does.
        var toGuest = ToGuestAsync(socket, target, stop.Token);
        var toBrowser = ToBrowserAsync(target, socket, stop.Token);
        var watch = WatchAccessAsync(registration, stop.Token);
        await Task.WhenAny(toGuest, toBrowser, watch, WhenCancelled(registration.Ending));

        (int Code, string Reason) close =
            registration.Ending.IsCancellationRequested ? (CloseEnded, registration.EndReason ?? "ended")
            : watch.IsCompleted && await watch ? (CloseRevoked, "the user may no longer use consoles")
            : toBrowser.IsCompleted ? (CloseGuestGone, "the guest's console closed: the guest stopped or was deleted")
            : ((int)WebSocketCloseStatus.NormalClosure, "closed in the browser");

        // Closing the target ends the copy to the browser, so the close frame is the only send left.
        await stop.CancelAsync();
        await target.DisposeAsync();
        await Quietly(toBrowser);
        await Quietly(watch);
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var grace = new CancellationTokenSource(CloseGrace);
            try
            {
                await socket.CloseOutputAsync((WebSocketCloseStatus)close.Code, close.Reason, grace.Token);
            }
            catch (Exception e) when (IsDisconnect(e))
            {
                logger.LogDebug(e, "The browser left before the console's close frame");
            }
        }
        if (await Task.WhenAny(toGuest, Task.Delay(CloseGrace, timeProvider)) != toGuest)
        {
            socket.Abort();
        }
        await Quietly(toGuest);
        return close.Reason;
    }

    private static async Task ToGuestAsync(WebSocket socket, Stream target, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(UpstreamBufferSize);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                if (received.Count > 0)
                {
                    await target.WriteAsync(buffer.AsMemory(0, received.Count), cancellationToken);
                }
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            // The browser went away or the target closed; the caller decides what that means.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task ToBrowserAsync(Stream target, WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await target.ReadAsync(buffer.AsMemory(), cancellationToken);
                if (read == 0)
                {
                    return;
                }
                await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <returns>True when the user lost the right; false when the console closed for another reason.</returns>
    private async Task<bool> WatchAccessAsync(ConsoleSessions.Registration registration, CancellationToken cancellationToken)
    {
        var session = registration.Session;
        try
        {
            while (true)
            {
                await Task.Delay(options.Value.RecheckInterval, timeProvider, cancellationToken);
                bool allowed;
                try
                {
                    allowed = await access.MayStillUseAsync(session.UserId, session.HostId, session.Uuid, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Fail closed: a console whose user cannot be checked is not kept open on trust.
                    logger.LogWarning(e, "Could not re-check console access for {User}; closing the console", session.UserName);
                    allowed = false;
                }
                if (!allowed)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static Task WhenCancelled(CancellationToken token) => Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default);

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (IsDisconnect(e))
        {
        }
    }

    private static bool IsDisconnect(Exception e) =>
        e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException or VirtWeb.Libvirt.LibvirtException
            or SocketException or Microsoft.AspNetCore.Connections.ConnectionResetException;

    private static string Describe(TicketRefusal refusal) => refusal switch
    {
        TicketRefusal.Unknown => "missing, unknown or already used",
        TicketRefusal.Expired => "expired",
        TicketRefusal.OtherUser => "issued to another user",
        TicketRefusal.OtherSession => "issued to another sign-in",
        TicketRefusal.NotForScripts => "issued to a browser's sign-in, not to an API token",
        TicketRefusal.OtherGuest => "issued for another console",
        _ => "refused",
    };

    /// <summary>Who opened a console with an API token's ticket, for the audit trail: the token's user, and the token.</summary>
    private static ClaimsPrincipal ScriptUser(ConsoleTicket ticket)
    {
        List<Claim> claims = [new(ClaimTypes.NameIdentifier, ticket.UserId), new(ClaimTypes.Name, ticket.UserName)];
        if (SignInSession.ApiTokenOf(ticket.SessionId) is { } tokenId)
        {
            claims.Add(new Claim(ApiTokenScope.TokenIdClaim, tokenId.ToString()));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "VirtWeb.ConsoleTicket"));
    }

    private static Task RefuseAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return context.Response.WriteAsync(message);
    }
}

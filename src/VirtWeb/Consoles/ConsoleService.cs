namespace VirtWeb.Consoles;

/// <summary>A ticket and the websocket path it opens; the page connects within <see cref="ConsoleOptions.TicketLifetime"/>.</summary>
public sealed record ConsoleTicketGrant(string Ticket, string Path);

/// <summary>
/// Issues console tickets. Whoever may use the guest's console (an Operator or Administrator there) gets one for a running guest that has the console asked for;
/// anyone else is refused, and the refusal written to the audit trail. The ticket is never logged or audited.
/// </summary>
public sealed class ConsoleService(ConsoleTickets tickets, ConsoleTargets targets, AuditLog audit, AccessControl access)
{
    public const string WebSocketPrefix = "/consoles/ws";

    public static string WebSocketPath(ConsoleKind kind, Guid hostId, Guid uuid) => $"{WebSocketPrefix}/{ConsoleKinds.Name(kind)}/{hostId}/{uuid}";

    public async Task<ConsoleTicketGrant> IssueTicketAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, ConsoleKind kind, CancellationToken cancellationToken = default)
    {
        var target = AccessPaths.Guest(hostId, uuid);
        await access.RequireAsync(caller, Permission.Console, "console.open", target, "open a guest's console");
        var userId = caller.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new AccessDeniedException("Sign in to open a guest's console.");
        var session = SignInSession.Of(caller)
            ?? throw new AccessDeniedException("This sign-in is older than console tickets. Sign out and sign in again to open a console.");

        try
        {
            await targets.CheckAsync(hostId, uuid, kind, cancellationToken);
        }
        catch (ConsoleUnavailableException e)
        {
            await audit.WriteAsync(caller, "console.open", target, AuditOutcome.Failure, e.Message);
            throw;
        }

        var ticket = await tickets.IssueAsync(userId, caller.Identity?.Name ?? userId, session, hostId, uuid, kind);
        return new ConsoleTicketGrant(ticket, WebSocketPath(kind, hostId, uuid));
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace VirtWeb.Consoles;

/// <summary>What a ticket allows: one console of one guest, for one user in one sign-in session, until it expires.</summary>
public sealed record ConsoleTicket(string UserId, string UserName, string SessionId, Guid HostId, Guid Uuid, ConsoleKind Kind, DateTimeOffset ExpiresAt);

/// <summary>Why a ticket did not open a console; the websocket endpoint answers 403 for every one of them.</summary>
public enum TicketRefusal
{
    None,
    Unknown,
    Expired,
    OtherUser,
    OtherSession,
    OtherGuest,
    NotForScripts,
}

/// <summary>
/// Where tickets are kept until their one use. Alone, in memory (<see cref="MemoryConsoleTicketStore"/>); with several
/// instances, in Redis (<see cref="VirtWeb.Cluster.RedisConsoleTicketStore"/>), so a ticket issued by one instance opens
/// through another. <see cref="TakeAsync"/> must be atomic: of two takes of one ticket, at most one gets it.
/// </summary>
public interface IConsoleTicketStore
{
    /// <param name="keepFor">How long the store must keep it at least; the ticket's own expiry is checked on redemption.</param>
    Task PutAsync(string ticket, ConsoleTicket value, TimeSpan keepFor);

    /// <summary>Removes the ticket and returns what it allowed, or null when it is not (or no longer) there.</summary>
    Task<ConsoleTicket?> TakeAsync(string ticket);
}

/// <summary>One process alone: tickets in memory; a restart invalidates them, which costs at most a reconnect.</summary>
public sealed class MemoryConsoleTicketStore(TimeProvider timeProvider) : IConsoleTicketStore
{
    private readonly ConcurrentDictionary<string, ConsoleTicket> _tickets = new(StringComparer.Ordinal);

    public int Outstanding => _tickets.Count;

    public Task PutAsync(string ticket, ConsoleTicket value, TimeSpan keepFor)
    {
        var now = timeProvider.GetUtcNow();
        foreach (var (key, stale) in _tickets)
        {
            if (stale.ExpiresAt <= now)
            {
                _tickets.TryRemove(key, out _);
            }
        }

        _tickets[ticket] = value;
        return Task.CompletedTask;
    }

    public Task<ConsoleTicket?> TakeAsync(string ticket) =>
        Task.FromResult(_tickets.TryRemove(ticket, out var found) ? found : null);
}

/// <summary>
/// One-time console tickets. A ticket is 256 random bits; it is taken out of the store on the first attempt to use
/// it, whatever that attempt's outcome, so a leaked ticket (a log line, a browser history entry) is already worthless.
/// </summary>
public sealed class ConsoleTickets(TimeProvider timeProvider, IOptions<ConsoleOptions> options, IConsoleTicketStore store)
{
    /// <summary>The longest a ticket may live, whatever the configuration says.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromSeconds(30);

    private TimeSpan Lifetime => options.Value.TicketLifetime is var configured && configured > TimeSpan.Zero && configured < MaximumLifetime ? configured : MaximumLifetime;

    public async Task<string> IssueAsync(string userId, string userName, string sessionId, Guid hostId, Guid uuid, ConsoleKind kind)
    {
        var ticket = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        await store.PutAsync(ticket, new ConsoleTicket(userId, userName, sessionId, hostId, uuid, kind, timeProvider.GetUtcNow() + Lifetime), Lifetime);
        return ticket;
    }

    /// <summary>Takes the ticket out (it can never be used again) and checks it against who asks for what.</summary>
    public async Task<(TicketRefusal Refusal, ConsoleTicket? Ticket)> RedeemAsync(string? ticket, string? userId, string? sessionId, Guid hostId, Guid uuid, ConsoleKind kind)
    {
        if (string.IsNullOrEmpty(ticket) || await store.TakeAsync(ticket) is not { } found)
        {
            return (TicketRefusal.Unknown, null);
        }

        return Check(found, userId, sessionId, hostId, uuid, kind);
    }

    /// <summary>
    /// For a script's VNC client, which has no sign-in cookie: only a ticket issued to an API token counts, and then
    /// the ticket alone (one use, seconds to live, one console of one guest) stands for the token's user.
    /// </summary>
    public async Task<(TicketRefusal Refusal, ConsoleTicket? Ticket)> RedeemForScriptAsync(string? ticket, Guid hostId, Guid uuid, ConsoleKind kind)
    {
        if (string.IsNullOrEmpty(ticket) || await store.TakeAsync(ticket) is not { } found)
        {
            return (TicketRefusal.Unknown, null);
        }

        // A browser's ticket met without its cookie: used up all the same, as every attempt uses a ticket.
        return SignInSession.ApiTokenOf(found.SessionId) is null
            ? (TicketRefusal.NotForScripts, null)
            : Check(found, found.UserId, found.SessionId, hostId, uuid, kind);
    }

    private (TicketRefusal, ConsoleTicket?) Check(ConsoleTicket found, string? userId, string? sessionId, Guid hostId, Guid uuid, ConsoleKind kind)
    {
        if (found.ExpiresAt <= timeProvider.GetUtcNow())
        {
            return (TicketRefusal.Expired, null);
        }
        if (!string.Equals(found.UserId, userId, StringComparison.Ordinal))
        {
            return (TicketRefusal.OtherUser, null);
        }
        if (!string.Equals(found.SessionId, sessionId, StringComparison.Ordinal))
        {
            return (TicketRefusal.OtherSession, null);
        }
        if (found.HostId != hostId || found.Uuid != uuid || found.Kind != kind)
        {
            return (TicketRefusal.OtherGuest, null);
        }
        return (TicketRefusal.None, found);
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

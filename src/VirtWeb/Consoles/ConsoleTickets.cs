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
/// One-time console tickets, kept in memory only: a restart invalidates them, which costs at most a reconnect.
/// A ticket is 256 random bits; it is removed on the first attempt to use it, whatever that attempt's outcome, so a
/// leaked ticket (a log line, a browser history entry) is already worthless.
/// </summary>
public sealed class ConsoleTickets(TimeProvider timeProvider, IOptions<ConsoleOptions> options)
{
    private readonly ConcurrentDictionary<string, ConsoleTicket> _tickets = new(StringComparer.Ordinal);

    /// <summary>The longest a ticket may live, whatever the configuration says.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromSeconds(30);

    public int Outstanding => _tickets.Count;

    private TimeSpan Lifetime => options.Value.TicketLifetime is var configured && configured > TimeSpan.Zero && configured < MaximumLifetime ? configured : MaximumLifetime;

    public string Issue(string userId, string userName, string sessionId, Guid hostId, Guid uuid, ConsoleKind kind)
    {
        var now = timeProvider.GetUtcNow();
        foreach (var (key, stale) in _tickets)
        {
            if (stale.ExpiresAt <= now)
            {
                _tickets.TryRemove(key, out _);
            }
        }

        var ticket = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        _tickets[ticket] = new ConsoleTicket(userId, userName, sessionId, hostId, uuid, kind, now + Lifetime);
        return ticket;
    }

    /// <summary>Takes the ticket out (it can never be used again) and checks it against who asks for what.</summary>
    public TicketRefusal Redeem(string? ticket, string? userId, string? sessionId, Guid hostId, Guid uuid, ConsoleKind kind, out ConsoleTicket? redeemed)
    {
        redeemed = null;
        if (string.IsNullOrEmpty(ticket) || !_tickets.TryRemove(ticket, out var found))
        {
            return TicketRefusal.Unknown;
        }
        if (found.ExpiresAt <= timeProvider.GetUtcNow())
        {
            return TicketRefusal.Expired;
        }
        if (!string.Equals(found.UserId, userId, StringComparison.Ordinal))
        {
            return TicketRefusal.OtherUser;
        }
        if (!string.Equals(found.SessionId, sessionId, StringComparison.Ordinal))
        {
            return TicketRefusal.OtherSession;
        }
        if (found.HostId != hostId || found.Uuid != uuid || found.Kind != kind)
        {
            return TicketRefusal.OtherGuest;
        }
        redeemed = found;
        return TicketRefusal.None;
    }

    /// <summary>
    /// For a script's VNC client, which has no sign-in cookie: only a ticket issued to an API token counts, and then
    /// the ticket alone (one use, seconds to live, one console of one guest) stands for the token's user.
    /// </summary>
    public TicketRefusal RedeemForScript(string? ticket, Guid hostId, Guid uuid, ConsoleKind kind, out ConsoleTicket? redeemed)
    {
        redeemed = null;
        if (string.IsNullOrEmpty(ticket) || !_tickets.TryGetValue(ticket, out var found))
        {
            return TicketRefusal.Unknown;
        }
        if (SignInSession.ApiTokenOf(found.SessionId) is null)
        {
            // A browser's ticket met without its cookie: used up all the same, as every attempt uses a ticket.
            _tickets.TryRemove(ticket, out _);
            return TicketRefusal.NotForScripts;
        }
        return Redeem(ticket, found.UserId, found.SessionId, hostId, uuid, kind, out redeemed);
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

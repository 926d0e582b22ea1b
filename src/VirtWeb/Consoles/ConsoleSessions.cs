using System.Collections.Concurrent;

namespace VirtWeb.Consoles;

/// <summary>An open console, as the Administrator's sessions page lists it.</summary>
public sealed record ConsoleSession(Guid Id, string UserId, string UserName, Guid HostId, Guid Uuid, string GuestName, ConsoleKind Kind, DateTimeOffset Since, string? RemoteAddress);

/// <summary>
/// The consoles open in this process. Each one registers while its websocket lives; an Administrator may end one,
/// which the proxy hears through <see cref="Registration.Ending"/> and turns into a close the page can explain.
/// </summary>
public sealed class ConsoleSessions(AuditLog audit, AccessControl access)
{
    private readonly ConcurrentDictionary<Guid, Registration> _open = new();

    /// <summary>Raised after a console opened or closed.</summary>
    public event Action? Changed;

    /// <summary>The open consoles on guests the caller manages access to (an Administrator there).</summary>
    public IReadOnlyList<ConsoleSession> List(ClaimsPrincipal caller)
    {
        if (!access.AllowsAnywhere(caller, Permission.ManageAccess))
        {
            throw new AccessDeniedException(access.Refusal(caller, Permission.ManageAccess, AccessPaths.Root, "see who has which console open") ?? "Only Administrators see open consoles.");
        }

        return [.. _open.Values.Select(r => r.Session)
            .Where(s => access.Allows(caller, AccessPaths.Guest(s.HostId, s.Uuid), Permission.ManageAccess))
            .OrderBy(s => s.Since)];
    }

    public async Task EndAsync(ClaimsPrincipal caller, Guid sessionId)
    {
        var target = _open.TryGetValue(sessionId, out var found) ? AccessPaths.Guest(found.Session.HostId, found.Session.Uuid) : "/consoles";
        await access.RequireAsync(caller, Permission.ManageAccess, "console.end", target, "end someone's console");
        if (found is null)
        {
            throw new ConsoleUnavailableException("That console has closed already.");
        }
        found.End($"ended by {caller.Identity?.Name}, an Administrator");
        await audit.WriteAsync(caller, "console.end", target, AuditOutcome.Success, $"{ConsoleKinds.Name(found.Session.Kind)} console of {found.Session.UserName}");
    }

    /// <summary>Whether a VirtWeb user has this guest's console of this kind open now.</summary>
    internal bool IsOpen(Guid hostId, Guid uuid, ConsoleKind kind) =>
        _open.Values.Any(r => r.Session.HostId == hostId && r.Session.Uuid == uuid && r.Session.Kind == kind);

    internal Registration Open(ConsoleSession session)
    {
        var registration = new Registration(this, session);
        _open[session.Id] = registration;
        Changed?.Invoke();
        return registration;
    }

    private void Close(Guid id)
    {
        if (_open.TryRemove(id, out _))
        {
            Changed?.Invoke();
        }
    }

    internal sealed class Registration(ConsoleSessions owner, ConsoleSession session) : IDisposable
    {
        private readonly CancellationTokenSource _ending = new();

        public ConsoleSession Session { get; } = session;

        public CancellationToken Ending => _ending.Token;

        public string? EndReason { get; private set; }

        public void End(string reason)
        {
            EndReason ??= reason;
            _ending.Cancel();
        }

        public void Dispose()
        {
            owner.Close(Session.Id);
            _ending.Dispose();
        }
    }
}

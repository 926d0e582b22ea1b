using VirtWeb.Libvirt;

namespace VirtWeb.Guests;

/// <summary>
/// What a lifecycle event says on its own: the state and reason <c>virDomainGetState</c> would report after it. The
/// watcher shows that at once and lets the re-read that follows fill in the rest, so the row changes without waiting
/// for libvirt to answer a single call.
/// </summary>
public static class GuestPatch
{
    /// <summary>
    /// <paramref name="guest"/> as <paramref name="e"/> leaves it, or null where the event alone does not say (a guest
    /// shutting down, a definition change): those wait for the re-read.
    /// </summary>
    public static GuestState? Apply(GuestState guest, DomainLifecycleEvent e, DateTimeOffset now)
    {
        if (StateAfter(e) is not { } state)
        {
            return null;
        }

        var patched = guest with { State = state.State, Reason = GuestText.Reason(state), HostConnected = true };
        return e.Type switch
        {
            // The agent's channel connects only once the guest has booted; it says so with an agent event.
            DomainLifecycleEventType.Started => patched with { RunningSince = now, UptimeIsLowerBound = false, HasAgent = false, Addresses = [] },
            DomainLifecycleEventType.Stopped => patched with { RunningSince = null, UptimeIsLowerBound = false, HasAgent = false, Addresses = [] },
            _ => patched,
        };
    }

    /// <summary>The state and reason libvirt reports after <paramref name="e"/>, where the event implies one.</summary>
    public static DomainStateInfo? StateAfter(DomainLifecycleEvent e) => e.Detail switch
    {
        DomainStartedDetail.Booted => Running(DomainRunningReason.Booted),
        DomainStartedDetail.Migrated => Running(DomainRunningReason.Migrated),
        DomainStartedDetail.Restored => Running(DomainRunningReason.Restored),
        DomainStartedDetail.FromSnapshot => Running(DomainRunningReason.FromSnapshot),
        DomainStartedDetail.Wakeup => Running(DomainRunningReason.Wakeup),
        DomainResumedDetail.Unpaused => Running(DomainRunningReason.Unpaused),
        DomainResumedDetail.Migrated => Running(DomainRunningReason.Migrated),
        DomainResumedDetail.FromSnapshot => Running(DomainRunningReason.FromSnapshot),
        DomainResumedDetail.Postcopy => Running(DomainRunningReason.Postcopy),
        DomainSuspendedDetail.Paused => Paused(DomainPausedReason.User),
        DomainSuspendedDetail.Migrated => Paused(DomainPausedReason.Migration),
        DomainSuspendedDetail.IOError => Paused(DomainPausedReason.IOError),
        DomainSuspendedDetail.Watchdog => Paused(DomainPausedReason.Watchdog),
        DomainSuspendedDetail.FromSnapshot => Paused(DomainPausedReason.FromSnapshot),
        DomainSuspendedDetail.Postcopy => Paused(DomainPausedReason.Postcopy),
        DomainSuspendedDetail.PostcopyFailed => Paused(DomainPausedReason.PostcopyFailed),
        DomainStoppedDetail.Shutdown => Shutoff(DomainShutoffReason.Shutdown),
        DomainStoppedDetail.Destroyed => Shutoff(DomainShutoffReason.Destroyed),
        DomainStoppedDetail.Crashed => Shutoff(DomainShutoffReason.Crashed),
        DomainStoppedDetail.Migrated => Shutoff(DomainShutoffReason.Migrated),
        DomainStoppedDetail.Saved => Shutoff(DomainShutoffReason.Saved),
        DomainStoppedDetail.Failed => Shutoff(DomainShutoffReason.Failed),
        DomainStoppedDetail.FromSnapshot => Shutoff(DomainShutoffReason.FromSnapshot),
        _ => null,
    };

    private static DomainStateInfo Running(DomainRunningReason reason) => new(DomainState.Running, (int)reason);

    private static DomainStateInfo Paused(DomainPausedReason reason) => new(DomainState.Paused, (int)reason);

    private static DomainStateInfo Shutoff(DomainShutoffReason reason) => new(DomainState.Shutoff, (int)reason);
}

namespace VirtWeb.Guests;

/// <summary>The power and settings actions an Operator may take on a guest (delete has its own method).</summary>
public enum GuestAction
{
    Start,
    Shutdown,
    Reboot,
    ForceOff,
    Pause,
    Resume,
    ManagedSave,
    AutostartOn,
    AutostartOff,
}

/// <summary>What happened: done with a message for a snackbar, or skipped because an action on the guest was already running.</summary>
public sealed record GuestActionResult(bool Done, string Message);

/// <summary>An action libvirt or VirtWeb refused, with a message the operator can act on. Nothing was changed half-way.</summary>
public sealed class GuestActionException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>How the trail records it: Denied when a policy refused (see <see cref="DefinitionPolicy"/>), else Failure.</summary>
    public VirtWeb.Data.AuditOutcome Outcome { get; init; } = VirtWeb.Data.AuditOutcome.Failure;
}

public static class GuestActions
{
    public static string Verb(GuestAction action) => action switch
    {
        GuestAction.Start => "start",
        GuestAction.Shutdown => "shut down",
        GuestAction.Reboot => "reboot",
        GuestAction.ForceOff => "force off",
        GuestAction.Pause => "pause",
        GuestAction.Resume => "resume",
        GuestAction.ManagedSave => "save the state of",
        GuestAction.AutostartOn => "turn on autostart for",
        GuestAction.AutostartOff => "turn off autostart for",
        _ => action.ToString(),
    };

    /// <summary>The dotted verb the audit trail records, such as <c>guest.start</c>.</summary>
    public static string AuditAction(GuestAction action) => action switch
    {
        GuestAction.Start => "guest.start",
        GuestAction.Shutdown => "guest.shutdown",
        GuestAction.Reboot => "guest.reboot",
        GuestAction.ForceOff => "guest.forceoff",
        GuestAction.Pause => "guest.pause",
        GuestAction.Resume => "guest.resume",
        GuestAction.ManagedSave => "guest.managedsave",
        GuestAction.AutostartOn => "guest.autostart.on",
        GuestAction.AutostartOff => "guest.autostart.off",
        _ => $"guest.{action.ToString().ToLowerInvariant()}",
    };

    public static string Title(GuestAction action) => action switch
    {
        GuestAction.Start => "Start",
        GuestAction.Shutdown => "Shut down",
        GuestAction.Reboot => "Reboot",
        GuestAction.ForceOff => "Force off",
        GuestAction.Pause => "Pause",
        GuestAction.Resume => "Resume",
        GuestAction.ManagedSave => "Save state and stop",
        GuestAction.AutostartOn => "Autostart on",
        GuestAction.AutostartOff => "Autostart off",
        _ => action.ToString(),
    };

    /// <summary>Whether the action makes sense for the guest as last seen (the buttons offered; libvirt still decides).</summary>
    public static bool Applies(GuestAction action, GuestState guest) => guest.HostConnected && action switch
    {
        GuestAction.Start => !guest.IsTemplate && guest.State is Libvirt.DomainState.Shutoff or Libvirt.DomainState.Crashed,
        GuestAction.Shutdown or GuestAction.Reboot or GuestAction.Pause => guest.State == Libvirt.DomainState.Running,
        // libvirt's LXC driver keeps no saved state: a container can only stop.
        GuestAction.ManagedSave => guest.Kind != GuestKind.Container && guest.Persistent && guest.State is Libvirt.DomainState.Running or Libvirt.DomainState.Paused,
        GuestAction.ForceOff => guest.IsActive,
        GuestAction.Resume => guest.State is Libvirt.DomainState.Paused or Libvirt.DomainState.PMSuspended,
        GuestAction.AutostartOn => guest.Persistent && !guest.Autostart && !guest.IsTemplate,
        GuestAction.AutostartOff => guest.Persistent && guest.Autostart,
        _ => false,
    };
}

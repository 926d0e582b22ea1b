using System.Text;

namespace VirtWeb.Guests;

/// <summary>libvirt's states, reasons and modes in plain words, in one place so every page says the same.</summary>
public static class GuestText
{
    public static string State(DomainState state) => state switch
    {
        DomainState.NoState => "No state",
        DomainState.Running => "Running",
        DomainState.Blocked => "Blocked",
        DomainState.Paused => "Paused",
        DomainState.Shutdown => "Shutting down",
        DomainState.Shutoff => "Shut off",
        DomainState.Crashed => "Crashed",
        DomainState.PMSuspended => "Suspended by guest",
        _ => state.ToString(),
    };

    /// <summary>libvirt's reason for the state ("destroyed", "booted", "paused by user").</summary>
    public static string Reason(DomainStateInfo info) => info.Reason switch
    {
        DomainShutoffReason.Destroyed => "forced off",
        DomainShutoffReason.Shutdown => "shut down",
        DomainShutoffReason.Saved => "saved",
        DomainShutoffReason.Unknown => "",
        DomainRunningReason.Booted => "booted",
        DomainRunningReason.Unpaused => "resumed",
        DomainRunningReason.Restored => "restored from saved state",
        DomainPausedReason.User => "paused by user",
        DomainPausedReason.IOError => "paused on an I/O error",
        Enum other when Convert.ToInt32(other, System.Globalization.CultureInfo.InvariantCulture) == 0 => "",
        Enum other => Words(other.ToString()),
    };

    public static string Event(DomainLifecycleEvent e) => $"{Words(e.Type.ToString())} ({Words(e.Detail.ToString())})";

    public static string Mode(VirtualizationMode mode) => mode switch
    {
        VirtualizationMode.Full => "Full",
        VirtualizationMode.Para => "Para",
        VirtualizationMode.Hybrid => "Hybrid",
        VirtualizationMode.Container => "Container",
        _ => mode.ToString(),
    };

    public static string ModeExplanation(VirtualizationMode mode) => mode switch
    {
        VirtualizationMode.Full => "Full virtualization: the guest is unaware and runs on emulated hardware (needs VT-x/AMD-V to be fast).",
        VirtualizationMode.Para => "Paravirtualization: the guest knows it is virtualized and calls the hypervisor (Xen PV).",
        VirtualizationMode.Hybrid => "Hybrid: full virtualization with paravirtual virtio drivers for disks or network.",
        VirtualizationMode.Container => "Container: shares the host's kernel instead of running its own.",
        _ => "",
    };

    public static string Kind(GuestKind kind) => kind == GuestKind.Container ? "Container" : "VM";

    public static string Memory(ulong kib) => kib >= 1024 * 1024
        ? $"{kib / (1024.0 * 1024):0.#} GiB"
        : $"{kib / 1024.0:0.#} MiB";

    public static string Uptime(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } => $"{(int)span.TotalDays} d {span.Hours} h",
        { TotalHours: >= 1 } => $"{(int)span.TotalHours} h {span.Minutes} min",
        { TotalMinutes: >= 1 } => $"{(int)span.TotalMinutes} min",
        _ => $"{Math.Max(0, (int)span.TotalSeconds)} s",
    };

    /// <summary>"IOError" becomes "i/o error", "FromSnapshot" becomes "from snapshot".</summary>
    public static string Words(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (i > 0 && char.IsUpper(c) && !char.IsUpper(pascal[i - 1]))
            {
                builder.Append(' ');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }
}

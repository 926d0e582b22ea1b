using Microsoft.AspNetCore.Components;
using MudBlazor;
using VirtWeb.Libvirt;

namespace VirtWeb.Guests;

/// <summary>
/// One row of the guest list. It renders only when its own guest, selection, busy flag or minute changed, so a change to
/// one guest in a list of thousands re-renders one row, not all of them.
/// </summary>
public partial class GuestRow
{
    private static readonly GuestAction[] s_primary = [GuestAction.Start, GuestAction.Shutdown, GuestAction.Pause, GuestAction.Resume, GuestAction.ForceOff];
    private static readonly GuestAction[] s_secondary = [GuestAction.Reboot, GuestAction.ManagedSave, GuestAction.AutostartOn, GuestAction.AutostartOff];

    private (GuestState? Guest, bool Selected, bool Busy, bool CanAct, long Minute) _rendered;

    [Parameter, EditorRequired]
    public required GuestState Guest { get; set; }

    [Parameter]
    public bool Selected { get; set; }

    [Parameter]
    public bool Busy { get; set; }

    [Parameter]
    public bool CanAct { get; set; }

    /// <summary>The page's clock, in whole minutes: uptime moves once a minute.</summary>
    [Parameter]
    public long Minute { get; set; }

    [Parameter]
    public EventCallback<bool> SelectedChanged { get; set; }

    [Parameter]
    public EventCallback<GuestAction> OnAction { get; set; }

    [Parameter]
    public EventCallback OnDelete { get; set; }

    [Parameter]
    public EventCallback OnClone { get; set; }

    /// <summary>How often this row rendered; the bench and tests read it.</summary>
    public int Renders { get; private set; }

    private IEnumerable<GuestAction> Primary => s_primary.Where(a => GuestActions.Applies(a, Guest));

    private IEnumerable<GuestAction> Secondary => s_secondary.Where(a => GuestActions.Applies(a, Guest));

    private string Uptime => Guest is { RunningSince: { } since, HostConnected: true } && Guest.IsActive
        ? (Guest.UptimeIsLowerBound ? "≥ " : "") + GuestText.Uptime(DateTimeOffset.FromUnixTimeSeconds(Minute * 60) - since)
        : "";

    private Color StateColor => !Guest.HostConnected ? Color.Default : Guest.State switch
    {
        DomainState.Running => Color.Success,
        DomainState.Paused or DomainState.PMSuspended or DomainState.Shutdown => Color.Warning,
        DomainState.Crashed => Color.Error,
        _ => Color.Default,
    };

    protected override bool ShouldRender()
    {
        var now = (Guest, Selected, Busy, CanAct, Minute);
        if (ReferenceEquals(now.Guest, _rendered.Guest) && now == _rendered)
        {
            return false;
        }

        _rendered = now;
        Renders++;
        return true;
    }

    protected override void OnInitialized()
    {
        // The first render does not ask ShouldRender.
        _rendered = (Guest, Selected, Busy, CanAct, Minute);
        Renders = 1;
    }

    private Task OnSelectedChanged(bool value) => SelectedChanged.InvokeAsync(value);

    private Task Act(GuestAction action) => OnAction.InvokeAsync(action);

    private Task DeleteAsync() => OnDelete.InvokeAsync();

    private Task CloneAsync() => OnClone.InvokeAsync();

    private static string Icon(GuestAction action) => action switch
    {
        GuestAction.Start => Icons.Material.Filled.PlayArrow,
        GuestAction.Shutdown => Icons.Material.Filled.PowerSettingsNew,
        GuestAction.Pause => Icons.Material.Filled.Pause,
        GuestAction.Resume => Icons.Material.Filled.PlayCircle,
        GuestAction.ForceOff => Icons.Material.Filled.Stop,
        _ => Icons.Material.Filled.Bolt,
    };
}

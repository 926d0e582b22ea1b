using VirtWeb.Components;
using VirtWeb.MachineIds;

namespace VirtWeb.Guests;

/// <summary>Asks for the clone's name and how its disks are made; closes with the new <see cref="GuestState"/>.</summary>
public partial class CloneGuestDialog
{
    private string? _name;
    private GuestCloneDisks _disks = GuestCloneDisks.Overlay;
    private readonly OneAtATime _action = new(e => e is GuestActionException or AccessDeniedException);

    // On by default: a clone sharing its source's machine ID breaks DHCP leases and journald (issue #7).
    private bool _newMachineId = true;

    [CascadingParameter]
    public required IMudDialogInstance Dialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Parameter, EditorRequired]
    public required GuestState Guest { get; set; }

    [Inject]
    public required MachineIdService MachineIds { get; init; }

    // Only a hint: the service reads the state from libvirt again before copying anything.
    private bool ShutOff => Guest is { HostConnected: true, IsActive: false };

    /// <summary>Opens the dialog for <paramref name="guest"/>; the clone, or null when the user cancelled.</summary>
    public static async Task<GuestState?> ShowAsync(IDialogService dialogs, GuestState guest)
    {
        var parameters = new DialogParameters<CloneGuestDialog> { { d => d.Guest, guest } };
        var dialog = await dialogs.ShowAsync<CloneGuestDialog>($"Clone {guest.Name}", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        return await dialog.Result is { Canceled: false, Data: GuestState clone } ? clone : null;
    }

    protected override void OnInitialized() => _name = $"{Guest.Name}-clone";

    private Task CloneAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        var clone = await MachineIds.CloneAsync(user, Guest.HostId, Guest.Uuid, _name, _disks, _newMachineId);
        Dialog.Close(DialogResult.Ok(clone));
    });
}

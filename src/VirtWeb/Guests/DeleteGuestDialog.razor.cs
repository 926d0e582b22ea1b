using VirtWeb.Components;

namespace VirtWeb.Guests;

/// <summary>Asks for the guest's name before deleting it, and whether its disks go too.</summary>
public partial class DeleteGuestDialog
{
    private string? _typed;
    private bool _deleteDisks;
    private readonly OneAtATime _action = new(e => e is GuestActionException or AccessDeniedException);

    [CascadingParameter]
    public required IMudDialogInstance Dialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Parameter, EditorRequired]
    public required GuestState Guest { get; set; }

    [Inject]
    public required GuestService Guests { get; init; }

    private Task DeleteAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        var result = await Guests.DeleteAsync(user, Guest.HostId, Guest.Uuid, _typed ?? "", _deleteDisks);
        Dialog.Close(DialogResult.Ok(result));
    });
}

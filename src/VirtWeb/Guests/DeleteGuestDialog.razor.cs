using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;

namespace VirtWeb.Guests;

/// <summary>Asks for the guest's name before deleting it, and whether its disks go too.</summary>
public partial class DeleteGuestDialog
{
    private string? _typed;
    private bool _deleteDisks;
    private bool _deleting;
    private string? _error;

    [CascadingParameter]
    public required IMudDialogInstance Dialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Parameter, EditorRequired]
    public required GuestState Guest { get; set; }

    [Inject]
    public required GuestService Guests { get; init; }

    private async Task DeleteAsync()
    {
        _deleting = true;
        _error = null;
        try
        {
            var result = await Guests.DeleteAsync((await AuthenticationState).User, Guest.HostId, Guest.Uuid, _typed ?? "", _deleteDisks);
            Dialog.Close(DialogResult.Ok(result));
        }
        catch (Exception e) when (e is GuestActionException or AccessDeniedException)
        {
            _error = e.Message;
        }
        finally
        {
            _deleting = false;
        }
    }
}

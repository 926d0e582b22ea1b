using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace VirtWeb.Access;

public partial class Users
{
    private IReadOnlyList<UserSummary>? _users;
    private string? _error;

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required UserDirectory UserDirectory { get; init; }

    protected override async Task OnInitializedAsync()
    {
        try
        {
            _users = await UserDirectory.ListAsync((await AuthenticationState).User);
        }
        catch (AccessDeniedException e)
        {
            _users = [];
            _error = e.Message;
        }
    }
}

using VirtWeb.Components;

namespace VirtWeb.Access;

public partial class Users
{
    private IReadOnlyList<UserSummary>? _users;
    private readonly OneAtATime _action = new(e => e is AccessDeniedException or InvalidOperationException);
    private (string UserName, string Password)? _handOver;
    private bool _creating;
    private string? _newUserName;
    private string _newRole = Roles.Viewer;

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required UserDirectory Directory { get; init; }

    protected override Task OnInitializedAsync() => RunAsync(_ => Task.CompletedTask);

    private static string RoleTitle(string role) => role == Roles.None ? "No role (grants only)" : role;

    private void ShowCreate()
    {
        _creating = true;
        _newUserName = null;
        _newRole = Roles.Viewer;
    }

    private Task CreateAsync() => RunAsync(async user =>
    {
        var password = await Directory.CreateAsync(user, _newUserName, _newRole);
        _handOver = (_newUserName!.Trim(), password);
        _creating = false;
    });

    private Task SetRoleAsync(UserSummary account, string role) =>
        RunAsync(user => Directory.SetRoleAsync(user, account.Id, role));

    private Task ResetPasswordAsync(UserSummary account) => RunAsync(async user =>
    {
        var password = await Directory.ResetPasswordAsync(user, account.Id);
        _handOver = (account.UserName, password);
    });

    /// <summary>One change at a time; a second click while one runs does nothing. The list is re-read afterwards.</summary>
    private async Task RunAsync(Func<ClaimsPrincipal, Task> change)
    {
        var ran = await _action.RunAsync(AuthenticationState, async user =>
        {
            await change(user);
            _users = await Directory.ListAsync(user);
        });

        // A refused first read shows an empty table under the error, not a loading bar for ever.
        if (ran && _action.Error is not null)
        {
            _users ??= [];
        }
    }
}

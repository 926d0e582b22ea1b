using VirtWeb.Account;

namespace VirtWeb.Components.Layout;

public partial class MainLayout
{
    private MudThemeProvider? _themeProvider;
    private bool _drawerOpen = true;
    private bool _isDarkMode;
    private bool? _preferredDarkMode;
    private ClaimsPrincipal _user = new();

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required UserPreferences UserPreferences { get; init; }

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        _preferredDarkMode = await UserPreferences.GetDarkModeAsync(_user);
        _isDarkMode = _preferredDarkMode ?? false;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // With no choice stored, follow the browser; only an interactive render can ask it.
        if (firstRender && _preferredDarkMode is null && RendererInfo.IsInteractive && _themeProvider is not null)
        {
            _isDarkMode = await _themeProvider.GetSystemDarkModeAsync();
            StateHasChanged();
        }
    }

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private async Task ToggleDarkModeAsync()
    {
        _isDarkMode = !_isDarkMode;
        _preferredDarkMode = _isDarkMode;
        await UserPreferences.SetDarkModeAsync(_user, _isDarkMode);
    }

    private static IEnumerable<string> RoleClaims(ClaimsPrincipal user) =>
        user.FindAll(ClaimTypes.Role).Select(c => c.Value);
}

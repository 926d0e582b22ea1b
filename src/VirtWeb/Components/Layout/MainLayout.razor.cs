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

    [Inject]
    public required VirtWeb.Degraded.DatabaseHealth DatabaseHealth { get; init; }

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        _preferredDarkMode = await PreferredDarkModeAsync();
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

    // Every page renders through this layout: with the database down it follows the browser instead of failing the page.
    private async Task<bool?> PreferredDarkModeAsync()
    {
        if (!DatabaseHealth.IsReachable)
        {
            return null;
        }

        try
        {
            return await UserPreferences.GetDarkModeAsync(_user);
        }
        catch (Exception e) when (VirtWeb.Degraded.DatabaseHealth.IsUnreachable(e))
        {
            DatabaseHealth.ReportFailure(e);
            return null;
        }
    }

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private async Task ToggleDarkModeAsync()
    {
        _isDarkMode = !_isDarkMode;
        _preferredDarkMode = _isDarkMode;
        try
        {
            await UserPreferences.SetDarkModeAsync(_user, _isDarkMode);
        }
        catch (Exception e) when (VirtWeb.Degraded.DatabaseHealth.IsUnreachable(e))
        {
            // The choice holds for this page; it is not kept for the next one.
            DatabaseHealth.ReportFailure(e);
        }
    }

    private static IEnumerable<string> RoleClaims(ClaimsPrincipal user) =>
        user.FindAll(ClaimTypes.Role).Select(c => c.Value);
}

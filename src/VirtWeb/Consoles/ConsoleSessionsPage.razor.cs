namespace VirtWeb.Consoles;

public partial class ConsoleSessionsPage : IDisposable
{
    private IReadOnlyList<ConsoleSession> _sessions = [];
    private ClaimsPrincipal? _user;
    private string? _error;

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required ConsoleSessions Sessions { get; init; }

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        Sessions.Changed += OnChanged;
        Load();
    }

    private void Load()
    {
        try
        {
            _sessions = Sessions.List(_user!);
        }
        catch (AccessDeniedException e)
        {
            _error = e.Message;
        }
    }

    private void OnChanged() => _ = InvokeAsync(() =>
    {
        Load();
        StateHasChanged();
    });

    private async Task EndAsync(ConsoleSession session)
    {
        try
        {
            await Sessions.EndAsync(_user!, session.Id);
        }
        catch (Exception e) when (e is AccessDeniedException or ConsoleUnavailableException)
        {
            _error = e.Message;
        }
    }

    public void Dispose()
    {
        Sessions.Changed -= OnChanged;
        GC.SuppressFinalize(this);
    }
}

namespace VirtWeb.Consoles;

/// <summary>The console alone in a window, for working in the guest rather than looking at it.</summary>
public partial class ConsolePage
{
    private LiveView<GuestState>? _guest;
    private bool _canOpen;

    [Parameter]
    public Guid HostId { get; set; }

    [Parameter]
    public Guid Uuid { get; set; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    private GuestState? Guest => _guest?.Find(GuestState.KeyOf(HostId, Uuid));

    protected override async Task OnInitializedAsync()
    {
        var user = (await AuthenticationState).User;
        _canOpen = Access.Allows(user, AccessPaths.Guest(HostId, Uuid), Permission.Console);
        var key = GuestState.KeyOf(HostId, Uuid);
        _guest = new LiveView<GuestState>(LiveState.Guests, g => g.Key, InvokeAsync, batch =>
        {
            if (batch.Any(c => c.Key == key))
            {
                StateHasChanged();
            }
        }, g => g.Key == key && Access.Allows(user, g.AccessPath, Permission.View));
    }

    public async ValueTask DisposeAsync()
    {
        if (_guest is not null)
        {
            await _guest.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}

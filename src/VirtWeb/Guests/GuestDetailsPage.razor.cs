namespace VirtWeb.Guests;

public partial class GuestDetailsPage
{
    private IDisposable? _looking;
    private LiveView<GuestState>? _guest;
    private string? _viewKey;
    private GuestDetails? _details;
    private ClaimsPrincipal _user = new();
    private bool _editing;
    private bool _saving;
    private string? _draft;
    private IReadOnlyList<DiffLine>? _diff;
    private string? _error;

    [Parameter]
    public Guid HostId { get; set; }

    [Parameter]
    public Guid Uuid { get; set; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required GuestService Guests { get; init; }

    [Inject]
    public required GuestActionLock Actions { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required GuestAddressPoller AddressPoller { get; init; }

    [Inject]
    public required GuestTimeline Timeline { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    private string Key => GuestState.KeyOf(HostId, Uuid);

    private GuestState? Guest => _guest?.Find(Key);

    // Hide what the service would refuse anyway; GuestService checks the user's role on this guest for every action.
    private bool MayAct => Guest is { } guest && Access.Allows(_user, guest.AccessPath, Permission.Power);

    private bool MayOpenConsole => Guest is { } guest && Access.Allows(_user, guest.AccessPath, Permission.Console);

    private bool MayEditXml => Guest is { } guest && Access.Allows(_user, guest.AccessPath, Permission.EditGuestXml);

    // Only the guest agent knows a guest's addresses (libvirt's DHCP leases miss bridges and static addresses).
    private string AddressText => Guest switch
    {
        { Addresses.Count: > 0 } g => string.Join(", ", g.Addresses),
        { IsActive: false } => "none while it is not running",
        { HasAgent: true } => "none reported by the guest agent yet",
        _ => "unknown: no guest agent connected",
    };

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        _looking = AddressPoller.Look();
        Timeline.Changed += OnTimelineChanged;
        // An action ends without a change of the guest's state when the state changed already while it ran (a
        // snapshot's pause and resume): the buttons it disabled come back only with this render.
        Actions.BusyChanged += OnBusyChanged;
    }

    private void OnBusyChanged(string key)
    {
        if (key == GuestState.KeyOf(HostId, Uuid))
        {
            _ = InvokeAsync(StateHasChanged);
        }
    }

    // The router reuses this component when the address names another guest (a clone opens its own page this way).
    protected override async Task OnParametersSetAsync()
    {
        var key = Key;
        if (_viewKey == key)
        {
            return;
        }

        if (_guest is not null)
        {
            await _guest.DisposeAsync();
        }

        (_viewKey, _details, _editing, _diff, _error) = (key, null, false, null, null);
        var user = _user;
        _guest = new LiveView<GuestState>(LiveState.Guests, g => g.Key, InvokeAsync, batch => { _ = ReloadAsync(); },
            g => g.Key == key && Access.Allows(user, g.AccessPath, Permission.View));
        await ReloadAsync();
    }

    // The definition (disks, interfaces, XML) is re-read when the guest changes; one page, one guest, cheap.
    private async Task ReloadAsync()
    {
        if (Guest is { HostConnected: true })
        {
            try
            {
                _details = await Guests.ReadDetailsAsync((await AuthenticationState).User, HostId, Uuid);
                _error = null;
            }
            catch (GuestActionException e)
            {
                _error = e.Message;
            }
        }

        StateHasChanged();
    }

    private void OnTimelineChanged(string key)
    {
        if (key == Key)
        {
            _ = InvokeAsync(StateHasChanged);
        }
    }

    private async Task RunAsync(GuestAction action)
    {
        try
        {
            var result = await Guests.RunAsync((await AuthenticationState).User, HostId, Uuid, action);
            Snackbar.Add(result.Message, result.Done ? Severity.Success : Severity.Info);
        }
        catch (Exception e) when (e is GuestActionException or AccessDeniedException)
        {
            Snackbar.Add(e.Message, Severity.Error);
        }
    }

    private async Task CloneAsync()
    {
        if (Guest is { } guest && await CloneGuestDialog.ShowAsync(Dialogs, guest) is { } clone)
        {
            Snackbar.Add($"Cloned {guest.Name} to {clone.Name}.", Severity.Success);
            Navigation.NavigateTo($"guests/{clone.HostId}/{clone.Uuid}");
        }
    }

    private void Edit()
    {
        _draft = _details?.Xml;
        _diff = null;
        _editing = true;
    }

    private void Review() => _diff = LineDiff.Compute(_details?.Xml ?? "", _draft ?? "");

    private async Task SaveAsync()
    {
        _saving = true;
        try
        {
            var result = await Guests.UpdateXmlAsync((await AuthenticationState).User, HostId, Uuid, _draft ?? "");
            Snackbar.Add(result.Message, result.Done ? Severity.Success : Severity.Info);
            _editing = false;
            await ReloadAsync();
        }
        catch (Exception e) when (e is GuestActionException or AccessDeniedException)
        {
            Snackbar.Add(e.Message, Severity.Error);
        }
        finally
        {
            _saving = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _looking?.Dispose();
        Timeline.Changed -= OnTimelineChanged;
        Actions.BusyChanged -= OnBusyChanged;
        if (_guest is not null)
        {
            await _guest.DisposeAsync();
        }
    }
}

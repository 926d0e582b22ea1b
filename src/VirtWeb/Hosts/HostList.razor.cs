namespace VirtWeb.Hosts;

public partial class HostList
{
    private readonly LiveViews _live = new();
    private LiveView<HostState>? _hosts;
    private LiveView<GuestState>? _guests;
    private IReadOnlyDictionary<Guid, GuestCounts> _counts = new Dictionary<Guid, GuestCounts>();
    private LiveClock? _clock;

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required HostService Hosts { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    [Inject]
    public required TimeProvider TimeProvider { get; init; }

    private ClaimsPrincipal _user = new();

    private DateTimeOffset Now => _clock?.Now ?? TimeProvider.GetUtcNow();

    private IEnumerable<HostState> Rows =>
        _hosts?.Items.OrderBy(h => h.Name, StringComparer.CurrentCultureIgnoreCase) ?? Enumerable.Empty<HostState>();

    protected override async Task OnInitializedAsync()
    {
        var user = _user = (await AuthenticationState).User;
        _hosts = _live.Add(new LiveView<HostState>(LiveState.Hosts, h => h.Key, InvokeAsync, _ => StateHasChanged(), h => Access.MaySeeAnythingUnder(user, h.AccessPath)));
        // Every guest, as libvirt would count them; the page shows only the counts.
        _guests = _live.Add(new LiveView<GuestState>(LiveState.Guests, g => g.Key, InvokeAsync, _ =>
        {
            CountGuests();
            StateHasChanged();
        }));
        CountGuests();
        _clock = _live.Add(new LiveClock(TimeProvider, InvokeAsync, () => Rows.Any(h => h.NextAttemptAt is not null), StateHasChanged));
    }

    private GuestCounts? CountsOf(HostState host) =>
        host.Connection == HostConnectionState.Connected ? _counts.GetValueOrDefault(host.HostId, GuestCounts.None) : null;

    private void CountGuests() => _counts = GuestCounts.ByHost(_guests?.Items ?? []);

    // Hides what the service would refuse anyway; HostService checks the user's role on every change.
    private bool MayAdd => Access.Allows(_user, AccessPaths.Root, Permission.ManageHosts);

    private bool MayManageAny => Access.AllowsAnywhere(_user, Permission.ManageHosts);

    private bool MayManage(HostState host) => Access.Allows(_user, host.AccessPath, Permission.ManageHosts);

    private Task AddHostAsync() => ShowDialogAsync("Add host", null);

    private Task EditHostAsync(HostState host) => ShowDialogAsync($"Edit {host.Name}", host);

    private async Task ShowDialogAsync(string title, HostState? host)
    {
        var parameters = new DialogParameters<HostDialog> { { d => d.Host, host } };
        var dialog = await Dialogs.ShowAsync<HostDialog>(title, parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: Data.HostRecord saved })
        {
            Snackbar.Add($"Saved {saved.Name}.", Severity.Success);
        }
    }

    private async Task RemoveHostAsync(HostState host)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            $"Remove {host.Name}?",
            $"VirtWeb disconnects from {host.Uri} and forgets the host. Its guests keep running; nothing changes on the hypervisor.",
            yesText: "Remove", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        try
        {
            await Hosts.RemoveAsync((await AuthenticationState).User, host.HostId);
            Snackbar.Add($"Removed {host.Name}.", Severity.Success);
        }
        catch (AccessDeniedException e)
        {
            Snackbar.Add(e.Message, Severity.Error);
        }
    }

    public ValueTask DisposeAsync() => _live.DisposeAsync();
}

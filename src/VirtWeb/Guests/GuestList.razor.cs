namespace VirtWeb.Guests;

public partial class GuestList
{
    private static readonly GuestAction[] s_bulk = [GuestAction.Start, GuestAction.Shutdown, GuestAction.ForceOff, GuestAction.Pause, GuestAction.Resume];

    /// <summary>Rows sent before the circuit is up: enough to fill a screen.</summary>
    private const int PrerenderedRows = 30;

    /// <summary>More changes in one batch than this render the list rather than each being looked up among the rows.</summary>
    private const int MaxPatchedChanges = 32;

    private readonly HashSet<string> _selected = new(StringComparer.Ordinal);
    private GuestRowRegistry _rowComponents = new();

    private SortColumn _sortColumn = s_byName;
    private bool _descending;
    // Every guest in the order the list shows them, exactly sized; the rows are this same array while nothing filters,
    // so an open page holds one array of references per guest, not an order, a row list and an index of its own.
    private GuestState[] _order = [];
    private readonly LiveViews _live = new();
    private LiveView<GuestState>? _guests;
    private LiveView<HostState>? _hosts;
    private LiveView<VirtWeb.Usage.GuestUsage>? _usage;
    private bool _sortedByUsage;
    private LiveClock? _clock;
    private IList<GuestState> _rows = [];
    private bool _canAct;
    private ClaimsPrincipal _user = new();
    private string? _search;
    private GuestSearch _matcher = new(null);
    private Guid? _host;
    private DomainState? _state;
    private VirtualizationMode? _mode;
    private long _renderedMinute;

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
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    [Inject]
    public required TimeProvider TimeProvider { get; init; }

    [Inject]
    public required VirtWeb.Usage.UsageLive Usage { get; init; }

    [Inject]
    public required VirtWeb.Usage.UsageWatch UsageWatch { get; init; }

    [Inject]
    public required Microsoft.Extensions.Options.IOptions<VirtWeb.Usage.UsageOptions> UsageOptions { get; init; }

    /// <summary>The server does not sample (Usage:Enabled is false): the usage columns say so and do not sort.</summary>
    private bool SamplingOff => !UsageOptions.Value.Enabled;

    private long Minute => (_clock?.Now ?? TimeProvider.GetUtcNow()).ToUnixTimeSeconds() / 60;

    private IEnumerable<HostState> HostOptions => (_hosts?.Items ?? []).OrderBy(h => h.Name, StringComparer.CurrentCultureIgnoreCase);

    private bool MayCreate => HostOptions.Any(MayCreateOn);

    private bool MayCreateOn(HostState host) => Access.Allows(_user, host.AccessPath, Permission.ManageGuests);

    // Containers run a program of the host: Administrators of the host only (ContainerCreationService checks it again).
    private IReadOnlyList<HostState> ContainerHosts =>
        [.. HostOptions.Where(h => VirtWeb.Containers.CreateContainerDialog.IsContainerHost(h) && Access.Allows(_user, h.AccessPath, Permission.ManageHosts))];

    private async Task CreateContainerAsync()
    {
        if (await VirtWeb.Containers.CreateContainerDialog.ShowAsync(Dialogs, ContainerHosts) is { } created)
        {
            Snackbar.Add($"Created and started {created.Name} on {created.HostName}.", Severity.Success);
        }
    }

    private bool MayAct(GuestState guest) => Access.Allows(_user, guest.AccessPath, Permission.Power);

    private IEnumerable<HostState> DownHosts => HostOptions.Where(h => h.Connection != HostConnectionState.Connected);

    private bool AllSelected => _rows.Count > 0 && _rows.All(r => _selected.Contains(r.Key));

    protected override async Task OnInitializedAsync()
    {
        // Hides what the service would refuse anyway; GuestService checks the user's role on the guest for every action.
        var user = _user = (await AuthenticationState).User;
        _canAct = Access.AllowsAnywhere(user, Permission.Power);
        _guests = _live.Add(new LiveView<GuestState>(LiveState.Guests, g => g.Key, InvokeAsync, Apply, g => Access.Allows(user, g.AccessPath, Permission.View)));
        // The guests on screen are sampled every 2 s while their rows exist.
        _rowComponents = SamplingOff ? new GuestRowRegistry() : new GuestRowRegistry(g => UsageWatch.Watch(g.HostId, g.Uuid));
        _usage = _live.Add(new LiveView<VirtWeb.Usage.GuestUsage>(Usage.Guests, u => u.Key, InvokeAsync, ApplyUsage, u => Access.Allows(user, u.AccessPath, Permission.View)));
        _hosts = _live.Add(new LiveView<HostState>(LiveState.Hosts, h => h.Key, InvokeAsync, _ => StateHasChanged(), h => Access.MaySeeAnythingUnder(user, h.AccessPath)));
        _clock = _live.Add(new LiveClock(TimeProvider, InvokeAsync, () => Minute != _renderedMinute, StateHasChanged));
        _live.Add(AddressPoller.Look());
        Actions.BusyChanged += OnBusyChanged;
        Sort();
        Filter();
    }

    /// <summary>How often the list itself rendered (not its rows); tests read it.</summary>
    public int Renders { get; private set; }

    protected override void OnAfterRender(bool firstRender)
    {
        _renderedMinute = Minute;
        Renders++;
    }

    /// <summary>
    /// A batch where every guest stays listed and in place (the usual case: a state change while the list is sorted by
    /// name) goes straight to those rows, so the circuit carries one row's update rather than the whole visible table.
    /// Anything else (a guest appears, goes, or moves) renders the list.
    /// </summary>
    private void Apply(IReadOnlyList<LiveChange<GuestState>> batch)
    {
        if (batch.Count > MaxPatchedChanges)
        {
            Refresh();
            return;
        }

        // A scan of the rows per change instead of a key-to-row index kept per page: a few microseconds at 5,000 guests.
        var at = new int[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].Item is not { } guest || (at[i] = IndexOf(_rows, guest)) < 0 || !Matches(guest)
                || !Equals(SortKey(_rows[at[i]]), SortKey(guest)) || _rows[at[i]].Name != guest.Name)
            {
                Refresh();
                return;
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var guest = batch[i].Item!;
            _rows[at[i]] = guest;
            if (!ReferenceEquals(_rows, _order))
            {
                _order[IndexOf(_order, guest)] = guest;
            }

            _rowComponents.Find(batch[i].Key)?.Show(guest);
        }
    }

    /// <summary>
    /// New usage goes straight to the rows on screen, unless the list is sorted by usage: then a round may reorder it.
    /// </summary>
    private void ApplyUsage(IReadOnlyList<LiveChange<VirtWeb.Usage.GuestUsage>> batch)
    {
        if (_sortedByUsage)
        {
            Refresh();
            return;
        }

        foreach (var change in batch)
        {
            _rowComponents.Find(change.Key)?.ShowUsage(change.Item, Usage.Trail(change.Key));
        }
    }

    private VirtWeb.Usage.GuestUsage? UsageOf(GuestState guest) => _usage?.Find(guest.Key);

    private static int IndexOf(IList<GuestState> rows, GuestState guest)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Uuid == guest.Uuid && rows[i].HostId == guest.HostId)
            {
                return i;
            }
        }

        return -1;
    }

    private void Select(string key, bool selected)
    {
        if (selected)
        {
            _selected.Add(key);
        }
        else
        {
            _selected.Remove(key);
        }
    }

    private void SelectAll(bool selected)
    {
        if (selected)
        {
            _selected.UnionWith(_rows.Select(r => r.Key));
        }
        else
        {
            _selected.Clear();
        }
    }

    private void ClearSelection() => _selected.Clear();

    private void OnBusyChanged(string key) => _ = InvokeAsync(StateHasChanged);

    private async Task RunAsync(string key, GuestAction action)
    {
        if (_guests?.Find(key) is not { } guest)
        {
            return;
        }

        try
        {
            var result = await Guests.RunAsync((await AuthenticationState).User, guest.HostId, guest.Uuid, action);
            Snackbar.Add(result.Message, result.Done ? Severity.Success : Severity.Info);
        }
        catch (Exception e) when (e is GuestActionException or AccessDeniedException)
        {
            Snackbar.Add(e.Message, Severity.Error);
        }
    }

    private async Task BulkAsync(GuestAction action)
    {
        var targets = _selected.Select(k => _guests?.Find(k)).OfType<GuestState>().Where(g => GuestActions.Applies(action, g)).ToList();
        if (targets.Count == 0)
        {
            Snackbar.Add($"None of the selected guests can {GuestActions.Verb(action)} now.", Severity.Info);
            return;
        }

        var user = (await AuthenticationState).User;
        var outcomes = await Task.WhenAll(targets.Select(async g =>
        {
            try
            {
                return (await Guests.RunAsync(user, g.HostId, g.Uuid, action)).Done ? null : $"{g.Name}: busy";
            }
            catch (Exception e) when (e is GuestActionException or AccessDeniedException)
            {
                return e.Message;
            }
        }));
        var failures = outcomes.OfType<string>().ToList();
        Snackbar.Add(
            failures.Count == 0 ? $"{GuestActions.Title(action)}: done for {targets.Count} guest(s)." : $"{GuestActions.Title(action)}: {targets.Count - failures.Count} done, {failures.Count} not: {string.Join(" ", failures)}",
            failures.Count == 0 ? Severity.Success : Severity.Warning);
    }

    private async Task CreateAsync()
    {
        var parameters = new DialogParameters<CreateGuestDialog> { { d => d.Hosts, HostOptions.Where(MayCreateOn).ToList() } };
        var dialog = await Dialogs.ShowAsync<CreateGuestDialog>("Create guest", parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: GuestState created })
        {
            Snackbar.Add($"Created {created.Name} on {created.HostName}.", Severity.Success);
        }
    }

    private async Task DeleteAsync(string key)
    {
        if (_guests?.Find(key) is not { } guest)
        {
            return;
        }

        var parameters = new DialogParameters<DeleteGuestDialog> { { d => d.Guest, guest } };
        var dialog = await Dialogs.ShowAsync<DeleteGuestDialog>($"Delete {guest.Name}", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: GuestActionResult result })
        {
            Snackbar.Add(result.Message, result.Done ? Severity.Success : Severity.Info);
        }
    }

    private async Task CloneAsync(string key)
    {
        if (_guests?.Find(key) is not { } guest)
        {
            return;
        }

        if (await CloneGuestDialog.ShowAsync(Dialogs, guest) is { } clone)
        {
            Snackbar.Add($"Cloned {guest.Name} to {clone.Name}.", Severity.Success);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Actions.BusyChanged -= OnBusyChanged;
        await _live.DisposeAsync();
        _rowComponents.Clear();
    }
}

namespace VirtWeb.Guests;

/// <summary>
/// One row of the guest list. It renders only when its own guest, selection, busy flag or minute changed, so a change to
/// one guest in a list of thousands re-renders one row, not all of them.
/// </summary>
public partial class GuestRow : IDisposable
{
    private static readonly GuestAction[] s_primary = [GuestAction.Start, GuestAction.Shutdown, GuestAction.Pause, GuestAction.Resume, GuestAction.ForceOff];
    private static readonly GuestAction[] s_secondary = [GuestAction.Reboot, GuestAction.ManagedSave, GuestAction.AutostartOn, GuestAction.AutostartOff];

    private (GuestState? Guest, bool Selected, bool Busy, bool CanAct, long Minute, bool Menu, bool MenuOpen, VirtWeb.Usage.GuestUsage? Usage, IReadOnlyList<float>? Trail) _rendered;
    private (VirtWeb.Usage.GuestUsage? Usage, IReadOnlyList<float> Trail)? _shownUsage;
    private bool _menu;
    private bool _menuOpen;
    private EventCallback? _openMenuCallback;
    private GuestState? _shown;
    private GuestRowRegistry? _registeredIn;
    private Dictionary<GuestAction, EventCallback>? _callbacks;

    [Parameter, EditorRequired]
    public required GuestState Guest { get; set; }

    [Parameter]
    public bool Selected { get; set; }

    [Parameter]
    public bool Busy { get; set; }

    [Parameter]
    public bool CanAct { get; set; }

    /// <summary>The page's clock, in whole minutes: uptime moves once a minute.</summary>
    [Parameter]
    public long Minute { get; set; }

    /// <summary>The guest's latest usage; null while it is not running or not sampled yet.</summary>
    [Parameter]
    public VirtWeb.Usage.GuestUsage? Usage { get; set; }

    /// <summary>The guest's CPU % of the last rounds (<see cref="VirtWeb.Usage.UsageLive.Trail"/>).</summary>
    [Parameter]
    public IReadOnlyList<float> Trail { get; set; } = [];

    /// <summary>Sampling is off on this server (Usage:Enabled): the usage cells say so instead of staying empty.</summary>
    [Parameter]
    public bool SamplingOff { get; set; }

    [Parameter]
    public EventCallback<bool> SelectedChanged { get; set; }

    [Parameter]
    public EventCallback<GuestAction> OnAction { get; set; }

    [Parameter]
    public EventCallback OnDelete { get; set; }

    [Parameter]
    public EventCallback OnClone { get; set; }

    /// <summary>Where the list finds this row to hand it a newer state of its guest directly.</summary>
    [Parameter]
    public GuestRowRegistry? Rows { get; set; }

    /// <summary>How often this row rendered; the bench and tests read it.</summary>
    public int Renders { get; private set; }

    private IEnumerable<GuestAction> Secondary => s_secondary.Where(a => GuestActions.Applies(a, Current));

    private string Uptime => Current is { RunningSince: { } since, HostConnected: true } && Current.IsActive
        ? (Current.UptimeIsLowerBound ? "≥ " : "") + GuestText.Uptime(DateTimeOffset.FromUnixTimeSeconds(Minute * 60) - since)
        : "";

    // MudChip's classes for an outlined small chip, so the plain element looks like the component it replaces.
    private string StateChipClass => "mud-chip mud-chip-outlined mud-chip-size-small " + (!Current.HostConnected ? "mud-chip-color-default" : Current.State switch
    {
        DomainState.Running => "mud-chip-color-success",
        DomainState.Paused or DomainState.PMSuspended or DomainState.Shutdown => "mud-chip-color-warning",
        DomainState.Crashed => "mud-chip-color-error",
        _ => "mud-chip-color-default",
    });

    /// <summary>The guest as this row shows it: the parameter, or a newer state the list handed over since.</summary>
    private GuestState Current => _shown ?? Guest;

    private VirtWeb.Usage.GuestUsage? CurrentUsage => _shownUsage is { } shown ? shown.Usage : Usage;

    private IReadOnlyList<float> CurrentTrail => _shownUsage is { } shown ? shown.Trail : Trail;

    /// <summary>Shows newer usage without the list rendering (called on the renderer's dispatcher).</summary>
    public void ShowUsage(VirtWeb.Usage.GuestUsage? usage, IReadOnlyList<float> trail)
    {
        _shownUsage = (usage, trail);
        StateHasChanged();
    }

    /// <summary>Shows a newer state of the same guest without the list rendering (called on the renderer's dispatcher).</summary>
    public void Show(GuestState guest)
    {
        _shown = guest;
        StateHasChanged();
    }

    protected override void OnParametersSet()
    {
        // The list's own render carries the newest state it has, which includes anything handed over before.
        _shown = null;
        _shownUsage = null;
        if (!ReferenceEquals(_registeredIn, Rows))
        {
            _registeredIn?.Remove(Guest.Key, this);
            Rows?.Add(Guest.Key, this);
            _registeredIn = Rows;
        }
    }

    public void Dispose() => _registeredIn?.Remove(Guest.Key, this);

    protected override bool ShouldRender()
    {
        (GuestState? Guest, bool Selected, bool Busy, bool CanAct, long Minute, bool Menu, bool MenuOpen, VirtWeb.Usage.GuestUsage? Usage, IReadOnlyList<float>? Trail) now =
            (Current, Selected, Busy, CanAct, Minute, _menu, _menuOpen, CurrentUsage, CurrentTrail);
        if (ReferenceEquals(now.Guest, _rendered.Guest) && ReferenceEquals(now.Trail, _rendered.Trail) && now == _rendered)
        {
            return false;
        }

        _rendered = now;
        Renders++;
        return true;
    }

    protected override void OnInitialized()
    {
        // The first render does not ask ShouldRender.
        _rendered = (Guest, Selected, Busy, CanAct, Minute, _menu, _menuOpen, Usage, Trail);
        Renders = 1;
    }

    private Task OnSelectedChanged(ChangeEventArgs e) => SelectedChanged.InvokeAsync(e.Value is true);

    // One callback per action for the row's life: a fresh lambda each render would make every button re-register its
    // click handler with the browser on every change.
    private EventCallback ActionCallback(GuestAction action)
    {
        _callbacks ??= [];
        if (!_callbacks.TryGetValue(action, out var callback))
        {
            callback = _callbacks[action] = EventCallback.Factory.Create(this, () => OnAction.InvokeAsync(action));
        }

        return callback;
    }

    private EventCallback OpenMenuCallback => _openMenuCallback ??= EventCallback.Factory.Create(this, () => _menu = _menuOpen = true);

    private Task DeleteAsync() => OnDelete.InvokeAsync();

    private Task CloneAsync() => OnClone.InvokeAsync();

    private static string Icon(GuestAction action) => action switch
    {
        GuestAction.Start => Icons.Material.Filled.PlayArrow,
        GuestAction.Shutdown => Icons.Material.Filled.PowerSettingsNew,
        GuestAction.Pause => Icons.Material.Filled.Pause,
        GuestAction.Resume => Icons.Material.Filled.PlayCircle,
        GuestAction.ForceOff => Icons.Material.Filled.Stop,
        _ => Icons.Material.Filled.Bolt,
    };
}

/// <summary>
/// The rows a guest list has on screen, by guest key; rows add and remove themselves. With <paramref name="watch"/>, a
/// guest on screen is watched (sampled every 2 s) for as long as its row exists.
/// </summary>
public sealed class GuestRowRegistry(Func<GuestState, IDisposable>? watch = null)
{
    private readonly Dictionary<string, (GuestRow Row, IDisposable? Watch)> _rows = new(StringComparer.Ordinal);

    public GuestRow? Find(string key) => _rows.TryGetValue(key, out var entry) ? entry.Row : null;

    public void Add(string key, GuestRow row)
    {
        if (_rows.TryGetValue(key, out var old))
        {
            old.Watch?.Dispose();
        }

        _rows[key] = (row, watch?.Invoke(row.Guest));
    }

    public void Remove(string key, GuestRow row)
    {
        if (_rows.TryGetValue(key, out var current) && ReferenceEquals(current.Row, row))
        {
            current.Watch?.Dispose();
            _rows.Remove(key);
        }
    }

    /// <summary>Ends every watch (the page went away).</summary>
    public void Clear()
    {
        foreach (var (_, watching) in _rows.Values)
        {
            watching?.Dispose();
        }

        _rows.Clear();
    }
}

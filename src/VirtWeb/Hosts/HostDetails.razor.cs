using System.Globalization;

namespace VirtWeb.Hosts;

public partial class HostDetails
{
    private readonly LiveViews _live = new();
    private LiveView<HostState>? _view;
    private LiveView<GuestState>? _guests;
    private LiveClock? _clock;
    private Guid _watching;
    private Data.HostRecord? _record;

    [Parameter]
    public Guid HostId { get; set; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required TimeProvider TimeProvider { get; init; }

    [Inject]
    public required HostService Hosts { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    private HostState? Host => _view?.Find(HostId.ToString());

    private GuestCounts? Counts => Host?.Connection == HostConnectionState.Connected ? GuestCounts.Of(_guests?.Items ?? []) : null;

    private DateTimeOffset Now => _clock?.Now ?? TimeProvider.GetUtcNow();

    protected override async Task OnParametersSetAsync()
    {
        if (_view is not null && _watching == HostId)
        {
            return;
        }

        await _live.DisposeAsync();
        _watching = HostId;
        var id = HostId;
        var user = (await AuthenticationState).User;
        _record = Access.MaySeeAnythingUnder(user, AccessPaths.Host(id)) ? await Hosts.FindAsync(id) : null;
        _view = _live.Add(new LiveView<HostState>(LiveState.Hosts, h => h.Key, InvokeAsync, _ => StateHasChanged(),
            h => h.HostId == id && Access.MaySeeAnythingUnder(user, h.AccessPath)));
        _guests = _live.Add(new LiveView<GuestState>(LiveState.Guests, g => g.Key, InvokeAsync, _ => StateHasChanged(), g => g.HostId == id));
        _clock = _live.Add(new LiveClock(TimeProvider, InvokeAsync, () => Host?.NextAttemptAt is not null, StateHasChanged));
    }

    private static string FormatKiB(long kib) =>
        kib >= 1024 * 1024
            ? string.Create(CultureInfo.InvariantCulture, $"{kib / 1024.0 / 1024.0:0.0} GiB")
            : string.Create(CultureInfo.InvariantCulture, $"{kib / 1024.0:0} MiB");

    public ValueTask DisposeAsync() => _live.DisposeAsync();
}

using Microsoft.JSInterop;

namespace VirtWeb.Usage;

/// <summary>
/// Charts of a guest (with <see cref="GuestUuid"/>) or of its host: the chosen range is read from the history under the
/// caller's grants and drawn with uPlot; the hour range is read again after every full round. A guest page watches its
/// guest, so it is sampled every 2 s while the page is open.
/// </summary>
public partial class UsageCharts
{
    /// <summary>How many points a chart asks for at most; the query picks the finest tier that fits.</summary>
    public const int ChartPoints = 2000;

    private readonly CancellationTokenSource _stop = new();
    private ElementReference _container;
    private IJSObjectReference? _module;
    private IDisposable? _watching;
    private readonly Live.LiveViews _live = new();
    private Live.LiveView<GuestUsage>? _guestUsage;
    private Live.LiveView<HostUsageState>? _hostUsage;
    private Task _refresh = Task.CompletedTask;
    private UsageRange _range = UsageRange.Hour;
    private IReadOnlyList<UsageChartFamily>? _families;
    private string _resolution = "";
    private int _points;
    private string? _error;
    private ClaimsPrincipal _user = new();

    [Parameter, EditorRequired]
    public Guid HostId { get; set; }

    [Parameter]
    public Guid? GuestUuid { get; set; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required UsageQueries Queries { get; init; }

    [Inject]
    public required UsageLive Live { get; init; }

    [Inject]
    public required UsageWatch Watch { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [Inject]
    public required TimeProvider TimeProvider { get; init; }

    [Inject]
    public required Microsoft.Extensions.Options.IOptions<UsageOptions> Options { get; init; }

    /// <summary>The server does not sample (Usage:Enabled is false): no live numbers, only the history written before.</summary>
    private bool SamplingOff => !Options.Value.Enabled;

    /// <summary>The charts' data as last read; tests read it.</summary>
    public IReadOnlyList<UsageChartFamily>? Families => _families;

    private GuestUsage? GuestNow => GuestUuid is { } uuid ? _guestUsage?.Find(Guests.GuestState.KeyOf(HostId, uuid)) : null;

    private HostUsage? HostNow => _hostUsage?.Find(HostId.ToString())?.Usage;

    private string NowCpu => SamplingOff ? UsageText.SamplingOff
        : (GuestUuid is null ? HostNow?.CpuPercent : GuestNow?.CpuPercent) is { } cpu ? $"{cpu:0.#} %" : "no reading";

    private string NowMemory => SamplingOff ? UsageText.SamplingOff
        : GuestUuid is null
        ? HostNow is { MemoryUsedKiB: { } used } ? Guests.GuestText.Memory(used) : UsageText.NotReported
        : GuestNow is null ? "no reading" : UsageText.Memory(GuestNow);

    private string NowDisk => SamplingOff ? UsageText.SamplingOff
        : Pair(GuestUuid is null ? HostNow?.DiskReadBytesPerSecond : GuestNow?.DiskReadBytesPerSecond,
        GuestUuid is null ? HostNow?.DiskWriteBytesPerSecond : GuestNow?.DiskWriteBytesPerSecond, "read", "write");

    private string NowNetwork => SamplingOff ? UsageText.SamplingOff
        : Pair(GuestUuid is null ? HostNow?.NetRxBytesPerSecond : GuestNow?.NetRxBytesPerSecond,
        GuestUuid is null ? HostNow?.NetTxBytesPerSecond : GuestNow?.NetTxBytesPerSecond, "in", "out");

    private static string Pair(double? a, double? b, string first, string second) =>
        a is null && b is null ? "no reading" : $"{Rate(a)} {first} · {Rate(b)} {second}";

    private static string Rate(double? bytesPerSecond) => bytesPerSecond switch
    {
        null => "–",
        >= 1024 * 1024 => $"{bytesPerSecond / (1024 * 1024):0.#} MiB/s",
        >= 1024 => $"{bytesPerSecond / 1024:0.#} KiB/s",
        _ => $"{bytesPerSecond:0} B/s",
    };

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        if (GuestUuid is { } uuid)
        {
            var key = Guests.GuestState.KeyOf(HostId, uuid);
            _watching = SamplingOff ? null : Watch.Watch(HostId, uuid);
            _guestUsage = _live.Add(new Live.LiveView<GuestUsage>(Live.Guests, u => u.Key, InvokeAsync, _ => StateHasChanged(), u => u.Key == key));
        }

        var hostKey = HostId.ToString();
        _hostUsage = _live.Add(new Live.LiveView<HostUsageState>(Live.Hosts, u => u.Key, InvokeAsync, _ => StateHasChanged(), u => u.Key == hostKey));
        await LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./Usage/UsageCharts.razor.js");
            await DrawAsync();
            // Without sampling the hour gets no new points to re-read.
            _refresh = SamplingOff ? Task.CompletedTask : RefreshAsync(_stop.Token);
        }
    }

    private async Task SelectAsync(UsageRange range)
    {
        _range = range;
        await LoadAsync();
        await DrawAsync();
    }

    /// <summary>Reads the chosen range; a refusal (grants, bad range) shows its message instead of a chart.</summary>
    private async Task LoadAsync()
    {
        var now = TimeProvider.GetUtcNow();
        // One 10 s step inside the range: the query takes its own "now" a moment later, and a start exactly a tier's
        // keep in the past would then fall just outside it (the day would be read at 30 min instead of 1 min).
        var from = now - UsageRanges.Length(_range) + UsageTiers.Raw.Step;
        try
        {
            var series = GuestUuid is { } uuid
                ? await Queries.ReadGuestAsync(_user, HostId, uuid, from, now, ChartPoints, _stop.Token)
                : await Queries.ReadHostAsync(_user, HostId, from, now, ChartPoints, _stop.Token);
            _families = UsageChartData.From(series);
            _resolution = series.Tier.Label;
            _points = _families.Sum(f => f.Points);
            _error = null;
        }
        catch (Exception e) when (e is UsageQueryException or AccessDeniedException)
        {
            (_families, _points, _error) = (null, 0, e.Message);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or { InnerException: Npgsql.NpgsqlException })
        {
            // The rest of the page does not need the database; the charts say why they are missing.
            (_families, _points, _error) = (null, 0, $"The usage history cannot be read right now ({e.Message}); the charts come back with the database.");
        }
    }

    private async Task DrawAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("draw", _container, _families ?? []);
            }
            catch (JSDisconnectedException)
            {
                // The browser left; the circuit goes with it.
            }
        }
    }

    // The hour's chart moves with every full round; the longer ranges change too slowly to be worth re-reading.
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(UsageSampler.FullInterval, TimeProvider, cancellationToken);
                if (_range == UsageRange.Hour)
                {
                    await InvokeAsync(async () =>
                    {
                        await LoadAsync();
                        StateHasChanged();
                        await DrawAsync();
                    });
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or JSDisconnectedException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _refresh;
        _watching?.Dispose();
        await _live.DisposeAsync();
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("dispose", _container);
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }

        _stop.Dispose();
    }
}

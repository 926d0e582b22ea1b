using System.Globalization;
using Microsoft.AspNetCore.Components;
using VirtWeb.Live;

namespace VirtWeb.Hosts;

public partial class HostDetails
{
    private LiveView<HostState>? _view;
    private DateTimeOffset _now;
    private Guid _watching;

    [Parameter]
    public Guid HostId { get; set; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required TimeProvider TimeProvider { get; init; }

    private HostState? Host => _view?.Find(HostId.ToString());

    protected override async Task OnParametersSetAsync()
    {
        _now = TimeProvider.GetUtcNow();
        if (_view is not null && _watching == HostId)
        {
            return;
        }

        if (_view is not null)
        {
            await _view.DisposeAsync();
        }

        _watching = HostId;
        var id = HostId;
        _view = new LiveView<HostState>(LiveState.Hosts, h => h.Key, InvokeAsync, _ =>
        {
            _now = TimeProvider.GetUtcNow();
            StateHasChanged();
        }, h => h.HostId == id);
    }

    private static string FormatKiB(long kib) =>
        kib >= 1024 * 1024
            ? string.Create(CultureInfo.InvariantCulture, $"{kib / 1024.0 / 1024.0:0.0} GiB")
            : string.Create(CultureInfo.InvariantCulture, $"{kib / 1024.0:0} MiB");

    public async ValueTask DisposeAsync()
    {
        if (_view is not null)
        {
            await _view.DisposeAsync();
        }
    }
}

using Microsoft.AspNetCore.Components;
using VirtWeb.Live;

namespace VirtWeb.Networks;

/// <summary>
/// In a Machine IDs duplicate group: the DHCP client IDs the group's guests share (see <see cref="SharedClientIds"/>),
/// live from the leases VirtWeb has seen.
/// </summary>
public partial class DuplicateLeases
{
    private readonly LiveViews _views = new();
    private LiveView<ClientIdSighting>? _sightings;
    private LiveView<GuestNicState>? _nics;
    private LiveView<LeaseState>? _leases;

    /// <summary>The group's guests (host, UUID); the page shows them only to whoever may see them.</summary>
    [Parameter, EditorRequired]
    public required IReadOnlyList<(Guid HostId, Guid Uuid)> Guests { get; set; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required LeasePoller Leases { get; init; }

    private IEnumerable<SharedClientId> Shared =>
        _sightings is null || _nics is null || _leases is null
            ? []
            : SharedClientIds.Find(_sightings.Items, _nics.Items, _leases.Items)
                .Where(s => s.Senders.Count(x => x.GuestUuid is { } uuid && Guests.Contains((x.HostId, uuid))) > 1);

    protected override void OnInitialized()
    {
        _sightings = _views.Add(new LiveView<ClientIdSighting>(Leases.ClientIds, s => s.Key, InvokeAsync, _ => StateHasChanged()));
        _nics = _views.Add(new LiveView<GuestNicState>(LiveState.Nics, n => n.Key, InvokeAsync, _ => StateHasChanged()));
        _leases = _views.Add(new LiveView<LeaseState>(LiveState.Leases, l => l.Key, InvokeAsync, _ => StateHasChanged()));
    }

    public ValueTask DisposeAsync() => _views.DisposeAsync();
}

using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;
using VirtWeb.Guests;
using VirtWeb.Live;

namespace VirtWeb.Networks;

/// <summary>The guest page's network cards: live from the store, with attach, detach, move and link for Operators.</summary>
public partial class GuestNics
{
    private readonly LiveViews _views = new();
    private LiveView<GuestNicState>? _nics;
    private LiveView<NetworkState>? _networks;
    private LiveView<LeaseState>? _leases;
    private ClaimsPrincipal _user = new();
    private string? _network;
    private string _model = "virtio";
    private string? _mac;
    private string? _error;
    private bool _busy;

    [Parameter, EditorRequired]
    public required GuestState Guest { get; set; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required NicService Service { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    private IEnumerable<GuestNicState> Nics => _nics?.Items.OrderBy(n => n.Mac, StringComparer.Ordinal) ?? Enumerable.Empty<GuestNicState>();

    private IEnumerable<NetworkState> Networks => _networks?.Items.OrderBy(n => n.Name, StringComparer.Ordinal) ?? Enumerable.Empty<NetworkState>();

    // Hides what NicService refuses anyway.
    private bool MayManage => Access.Allows(_user, Guest.AccessPath, Permission.ManageGuests) && Guest.HostConnected;

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        var (hostId, uuid) = (Guest.HostId, Guest.Uuid);
        _nics = _views.Add(new LiveView<GuestNicState>(LiveState.Nics, n => n.Key, InvokeAsync, _ => StateHasChanged(), n => n.HostId == hostId && n.GuestUuid == uuid));
        var user = _user;
        _networks = _views.Add(new LiveView<NetworkState>(LiveState.Networks, n => n.Key, InvokeAsync, _ => StateHasChanged(), n => n.HostId == hostId && Access.Allows(user, n.AccessPath, Permission.View)));
        _leases = _views.Add(new LiveView<LeaseState>(LiveState.Leases, l => l.Key, InvokeAsync, _ => StateHasChanged(), l => l.HostId == hostId));
        // A running guest can only be plugged into a running network: default if it runs, else the first that does.
        _network = Networks.OrderBy(n => !n.Active).ThenBy(n => n.Name != "default").FirstOrDefault()?.Name;
    }

    private IEnumerable<LeaseState> LeasesOf(GuestNicState nic) => _leases?.Items.Where(l => l.Mac == nic.Mac) ?? Enumerable.Empty<LeaseState>();

    private Task AttachAsync() => RunAsync(async user =>
    {
        var result = await Service.AttachNicAsync(user, Guest.HostId, Guest.Uuid, new NicInput(_network ?? "", _model, _mac));
        _mac = null;
        return result;
    });

    private Task MoveAsync(GuestNicState nic, string network) =>
        network == nic.Network ? Task.CompletedTask : RunAsync(user => Service.SetNicNetworkAsync(user, Guest.HostId, Guest.Uuid, nic.Mac, network));

    private async Task RunAsync(Func<ClaimsPrincipal, Task<GuestActionResult>> action)
    {
        if (_busy)
        {
            return;
        }

        _busy = true;
        _error = null;
        try
        {
            var result = await action(_user);
            if (result.Done)
            {
                Snackbar.Add(result.Message, Severity.Success);
            }
            else
            {
                _error = result.Message;
            }
        }
        catch (Exception e) when (e is GuestActionException or AccessDeniedException or Hosts.HostUnavailableException)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    public ValueTask DisposeAsync() => _views.DisposeAsync();
}

using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;
using VirtWeb.Hosts;
using VirtWeb.Live;

namespace VirtWeb.Networks;

/// <summary>Every host's virtual networks, the guests on each and the leases their DHCP servers gave, all live.</summary>
public partial class NetworksPage
{
    private readonly LiveViews _views = new();
    private LiveView<NetworkState>? _networks;
    private LiveView<GuestNicState>? _nics;
    private LiveView<LeaseState>? _leases;
    private LiveView<HostState>? _hosts;
    private ClaimsPrincipal _user = new();

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    private IEnumerable<NetworkState> Networks =>
        _networks?.Items.OrderBy(n => n.HostName, StringComparer.CurrentCultureIgnoreCase).ThenBy(n => n.Name, StringComparer.Ordinal) ?? Enumerable.Empty<NetworkState>();

    /// <summary>Connected hosts where the user may create networks: Administrators of the host.</summary>
    private IEnumerable<HostState> CreateHosts =>
        _hosts?.Items.Where(h => h.Connection == HostConnectionState.Connected && Access.Allows(_user, h.AccessPath, Permission.ManageHosts)) ?? [];

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        var user = _user;
        _networks = _views.Add(new LiveView<NetworkState>(LiveState.Networks, n => n.Key, InvokeAsync, _ => StateHasChanged(), n => Access.Allows(user, n.AccessPath, Permission.View)));
        // Cards and leases show under a network the user may see; a card names its guest only where the guest is visible.
        _nics = _views.Add(new LiveView<GuestNicState>(LiveState.Nics, n => n.Key, InvokeAsync, _ => StateHasChanged(), n => Access.Allows(user, n.AccessPath, Permission.View)));
        _leases = _views.Add(new LiveView<LeaseState>(LiveState.Leases, l => l.Key, InvokeAsync, _ => StateHasChanged(), l => Access.Allows(user, l.AccessPath, Permission.View)));
        _hosts = _views.Add(new LiveView<HostState>(LiveState.Hosts, h => h.Key, InvokeAsync, _ => StateHasChanged(), h => Access.MaySeeAnythingUnder(user, h.AccessPath)));
    }

    private IReadOnlyList<GuestNicState> NicsOn(NetworkState network) =>
        _nics?.Items.Where(n => n.HostId == network.HostId && n.Network == network.Name).OrderBy(n => n.GuestName, StringComparer.Ordinal).ToList() ?? [];

    private IReadOnlyList<LeaseState> LeasesOf(NetworkState network) =>
        _leases?.Items.Where(l => l.HostId == network.HostId && l.NetworkName == network.Name).OrderBy(l => l.IpAddress, StringComparer.Ordinal).ToList() ?? [];

    private string? GuestOfMac(Guid hostId, string mac) =>
        _nics?.Items.FirstOrDefault(n => n.HostId == hostId && n.Mac == mac)?.GuestName;

    private async Task CreateAsync()
    {
        var dialog = await Dialogs.ShowAsync<NetworkDialog>("New network", new DialogParameters<NetworkDialog>
        {
            { d => d.Hosts, CreateHosts.OrderBy(h => h.Name, StringComparer.CurrentCultureIgnoreCase).ToList() },
        }, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: string done })
        {
            Snackbar.Add(done, Severity.Success);
        }
    }

    public ValueTask DisposeAsync() => _views.DisposeAsync();
}

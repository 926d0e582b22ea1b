using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;
using VirtWeb.Images;
using VirtWeb.Live;

namespace VirtWeb.Networks;

/// <summary>The host page's and create dialog's "Ready this host" offer, shown while the host lacks an active pool or network.</summary>
public partial class ReadyHostPanel
{
    private readonly LiveViews _views = new();
    private ReadinessPlan? _plan;
    private ClaimsPrincipal _user = new();
    private string? _error;
    private bool _busy;

    [Parameter, EditorRequired]
    public required Guid HostId { get; set; }

    /// <summary>Called after the host was readied (the create dialog refreshes its pools and networks).</summary>
    [Parameter]
    public EventCallback Readied { get; set; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required HostReadiness Readiness { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    private bool MayReady => Access.Allows(_user, AccessPaths.Host(HostId), Permission.ManageHosts);

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        // Re-assessed whenever the host's pools, networks or connection change.
        _views.Add(new LiveView<PoolState>(LiveState.Pools, p => p.Key, InvokeAsync, _ => Assess(), p => p.HostId == HostId));
        _views.Add(new LiveView<NetworkState>(LiveState.Networks, n => n.Key, InvokeAsync, _ => Assess(), n => n.HostId == HostId));
        _views.Add(new LiveView<Hosts.HostState>(LiveState.Hosts, h => h.Key, InvokeAsync, _ => Assess(), h => h.HostId == HostId));
        _plan = Readiness.Assess(HostId);
    }

    protected override void OnParametersSet() => _plan = Readiness.Assess(HostId);

    private void Assess()
    {
        _plan = Readiness.Assess(HostId);
        StateHasChanged();
    }

    private async Task ReadyAsync()
    {
        if (_busy)
        {
            return;
        }

        _busy = true;
        _error = null;
        try
        {
            Snackbar.Add(await Readiness.MakeReadyAsync(_user, HostId), Severity.Success);
            await Readied.InvokeAsync();
        }
        catch (Exception e) when (e is NetworkException or ImageException or AccessDeniedException)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
            _plan = Readiness.Assess(HostId);
        }
    }

    public ValueTask DisposeAsync() => _views.DisposeAsync();
}

using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;
using VirtWeb.Components;

namespace VirtWeb.Networks;

/// <summary>The DHCP range and static host entries of one network; each change goes to libvirt at once (virNetworkUpdate).</summary>
public partial class DhcpDialog
{
    private readonly OneAtATime _action = new(e => e is NetworkException or AccessDeniedException);
    private string? _start;
    private string? _end;
    private string? _mac;
    private string? _ip;
    private string? _hostName;
    private string? _done;

    [CascadingParameter]
    public required IMudDialogInstance MudDialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required NetworkService Networks { get; init; }

    [Parameter, EditorRequired]
    public required NetworkState Network { get; set; }

    protected override void OnInitialized()
    {
        var range = Network.Addresses.FirstOrDefault(a => !a.IsIPv6)?.Range;
        (_start, _end) = (range?.Start, range?.End);
    }

    private Task SetRangeAsync() => _action.RunAsync(AuthenticationState, async user =>
        _done = await Networks.SetDhcpRangeAsync(user, Network.HostId, Network.Name, _start ?? "", _end ?? ""));

    private Task AddAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        _done = await Networks.AddDhcpHostAsync(user, Network.HostId, Network.Name, _mac ?? "", _ip ?? "", _hostName);
        (_mac, _ip, _hostName) = (null, null, null);
    });

    private Task RemoveAsync(string mac) => _action.RunAsync(AuthenticationState, async user =>
        _done = await Networks.RemoveDhcpHostAsync(user, Network.HostId, Network.Name, mac));
}

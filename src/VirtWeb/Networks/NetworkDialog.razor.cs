using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;
using VirtWeb.Components;
using VirtWeb.Hosts;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Networks;

public partial class NetworkDialog
{
    private readonly OneAtATime _action = new(e => e is NetworkException or AccessDeniedException);
    private Guid _hostId;
    private string? _name;
    private NetworkMode _mode = NetworkMode.Nat;
    private string? _cidr = "192.168.100.1/24";
    private string? _dhcpStart = "192.168.100.100";
    private string? _dhcpEnd = "192.168.100.200";
    private string? _bridge;
    private bool _autostart = true;

    [CascadingParameter]
    public required IMudDialogInstance MudDialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required NetworkService Networks { get; init; }

    [Parameter]
    public IReadOnlyList<HostState> Hosts { get; set; } = [];

    protected override void OnInitialized() => _hostId = Hosts.FirstOrDefault()?.HostId ?? Guid.Empty;

    private Task CreateAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        var bridgeMode = _mode == NetworkMode.Bridge;
        var done = await Networks.CreateAsync(user, _hostId, new NetworkInput(
            _name ?? "", _mode, bridgeMode ? null : _cidr, bridgeMode ? null : _dhcpStart, bridgeMode ? null : _dhcpEnd, _bridge, _autostart));
        MudDialog.Close(DialogResult.Ok(done));
    });
}

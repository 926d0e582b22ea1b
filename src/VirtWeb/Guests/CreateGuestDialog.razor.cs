using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;
using VirtWeb.Hosts;

namespace VirtWeb.Guests;

/// <summary>The create-guest form; GuestService validates everything again and creates nothing half-way.</summary>
public partial class CreateGuestDialog
{
    private Guid _hostId;
    private string? _name;
    private int _vcpus = 1;
    private int _memoryMiB = 512;
    private GuestDiskChoice _disk = GuestDiskChoice.NewQcow2;
    private string? _pool = "default";
    private int _diskGiB = 10;
    private string? _volumePath;
    private GuestBootChoice _boot = GuestBootChoice.Iso;
    private string? _isoPath;
    private string? _kernelPath;
    private string? _initrdPath;
    private string? _cmdline;
    private GuestNetworkChoice _network = GuestNetworkChoice.Network;
    private string? _networkSource = "default";
    private bool _busy;
    private string? _error;

    [CascadingParameter]
    public required IMudDialogInstance Dialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Parameter]
    public IReadOnlyList<HostState> Hosts { get; set; } = [];

    [Inject]
    public required GuestService Guests { get; init; }

    protected override void OnInitialized() => _hostId = Hosts.FirstOrDefault(h => h.Connection == HostConnectionState.Connected)?.HostId ?? Guid.Empty;

    private async Task CreateAsync()
    {
        _busy = true;
        _error = null;
        try
        {
            var guest = await Guests.CreateAsync((await AuthenticationState).User, new GuestCreateInput(
                _hostId, _name, _vcpus, _memoryMiB, _disk, _pool, _diskGiB, _volumePath, _boot, _isoPath, _kernelPath, _initrdPath, _cmdline, _network, _networkSource));
            Dialog.Close(DialogResult.Ok(guest));
        }
        catch (Exception e) when (e is GuestActionException or AccessDeniedException)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }
}

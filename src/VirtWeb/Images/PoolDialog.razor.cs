using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;
using VirtWeb.Hosts;

namespace VirtWeb.Images;

public partial class PoolDialog
{
    private Guid _hostId;
    private string? _name;
    private string? _directory;
    private bool _autostart = true;
    private bool _busy;
    private string? _error;

    [CascadingParameter]
    public required IMudDialogInstance MudDialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required PoolService Pools { get; init; }

    [Inject]
    public required StorageRoots Roots { get; init; }

    [Parameter]
    public IReadOnlyList<HostState> Hosts { get; set; } = [];

    protected override void OnInitialized() => _hostId = Hosts.FirstOrDefault()?.HostId ?? Guid.Empty;

    private async Task CreateAsync()
    {
        if (_busy)
        {
            return;
        }

        _busy = true;
        _error = null;
        try
        {
            await Pools.CreateDirectoryPoolAsync((await AuthenticationState).User, _hostId, _name ?? "", _directory ?? "", _autostart);
            MudDialog.Close(DialogResult.Ok($"Created pool {_name}."));
        }
        catch (Exception e) when (e is ImageException or AccessDeniedException)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }
}

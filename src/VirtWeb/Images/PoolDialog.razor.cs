using VirtWeb.Components;

namespace VirtWeb.Images;

public partial class PoolDialog
{
    private Guid _hostId;
    private string? _name;
    private string? _directory;
    private bool _autostart = true;
    private readonly OneAtATime _action = new(e => e is ImageException or AccessDeniedException);

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

    private Task CreateAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        await Pools.CreateDirectoryPoolAsync(user, _hostId, _name ?? "", _directory ?? "", _autostart);
        MudDialog.Close(DialogResult.Ok($"Created pool {_name}."));
    });
}

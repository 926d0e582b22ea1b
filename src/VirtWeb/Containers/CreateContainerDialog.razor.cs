using Microsoft.Extensions.Options;
using VirtWeb.Components;

namespace VirtWeb.Containers;

/// <summary>The create-container form; <see cref="ContainerCreationService"/> checks everything again and leaves nothing half-made.</summary>
public partial class CreateContainerDialog
{
    private const string NoNetwork = "";

    private Guid _hostId;
    private string? _name;
    private ContainerKind _kind = ContainerKind.Application;
    private string? _command = "/bin/sh";
    private string? _root;
    private int _memoryMiB = 128;
    private string _network = NoNetwork;
    private readonly OneAtATime _action = new(e => e is GuestActionException or AccessDeniedException);
    private ClaimsPrincipal _user = new();

    [CascadingParameter]
    public required IMudDialogInstance Dialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    /// <summary>The container hosts (lxc) on which the user may create one.</summary>
    [Parameter]
    public IReadOnlyList<HostState> Hosts { get; set; } = [];

    [Inject]
    public required ContainerCreationService Creation { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required IOptions<ContainerOptions> Options { get; init; }

    private IReadOnlyList<string> Roots => Options.Value.Roots;

    private IReadOnlyList<string> NetworkNames { get; set; } = [];

    /// <summary>True for a host whose guests are containers: the create-container button offers only those.</summary>
    public static bool IsContainerHost(HostState host) => host.Facts?.Kind == HypervisorKind.Containers;

    /// <summary>Opens the dialog; the created container, or null when the user cancelled.</summary>
    public static async Task<GuestState?> ShowAsync(IDialogService dialogs, IReadOnlyList<HostState> hosts)
    {
        var parameters = new DialogParameters<CreateContainerDialog> { { d => d.Hosts, hosts } };
        var dialog = await dialogs.ShowAsync<CreateContainerDialog>("Create container", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        return await dialog.Result is { Canceled: false, Data: GuestState created } ? created : null;
    }

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        _hostId = Hosts.FirstOrDefault(h => h.Connection == HostConnectionState.Connected)?.HostId ?? Guid.Empty;
        HostChanged();
    }

    private void HostChanged()
    {
        NetworkNames = [.. LiveState.Networks.Current(n => n.HostId == _hostId && Access.Allows(_user, n.AccessPath, Permission.View))
            .Select(n => n.Name).Order(StringComparer.Ordinal)];
        _network = NetworkNames.Contains(_network) ? _network : NoNetwork;
    }

    private Task CreateAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        var created = await Creation.CreateAsync(user, new ContainerCreateInput(
            _hostId, _name ?? "", _kind, _memoryMiB, _command, _root, _network.Length == 0 ? null : _network));
        Dialog.Close(DialogResult.Ok(created));
    });
}

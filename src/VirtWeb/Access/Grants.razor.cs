using VirtWeb.Components;
using VirtWeb.Images;

namespace VirtWeb.Access;

public enum GrantScope
{
    Everything,
    Host,
    Guest,
    Pool,
    Network,
}

public partial class Grants
{
    private IReadOnlyList<GrantSummary>? _grants;
    private IReadOnlyList<string> _userNames = [];
    private ClaimsPrincipal _user = new();
    private readonly OneAtATime _action = new(e => e is AccessDeniedException or InvalidGrantException);
    private string? _userName;
    private GrantScope _scope = GrantScope.Host;
    private Guid? _hostId;
    private Guid? _guestUuid;
    private string? _poolName;
    private string? _networkName;
    private AccessRole _role = AccessRole.Viewer;

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required GrantDirectory Directory { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    // Only objects the user manages access on can be chosen; the service checks again.
    private IEnumerable<HostState> HostChoices =>
        LiveState.Hosts.Current(h => Access.MaySeeAnythingUnder(_user, h.AccessPath)).OrderBy(h => h.Name, StringComparer.CurrentCultureIgnoreCase);

    private IEnumerable<GuestState> GuestChoices =>
        _hostId is { } hostId
            ? LiveState.Guests.Current(g => g.HostId == hostId && Access.Allows(_user, g.AccessPath, Permission.ManageAccess)).OrderBy(g => g.Name, StringComparer.CurrentCultureIgnoreCase)
            : [];

    private IEnumerable<PoolState> PoolChoices =>
        _hostId is { } hostId
            ? LiveState.Pools.Current(p => p.HostId == hostId && Access.Allows(_user, p.AccessPath, Permission.ManageAccess)).OrderBy(p => p.Name, StringComparer.Ordinal)
            : [];

    private IEnumerable<Networks.NetworkState> NetworkChoices =>
        _hostId is { } hostId
            ? LiveState.Networks.Current(n => n.HostId == hostId && Access.Allows(_user, n.AccessPath, Permission.ManageAccess)).OrderBy(n => n.Name, StringComparer.Ordinal)
            : [];

    private string? ChosenPath => _scope == GrantScope.Network
        ? (_hostId, _networkName) is ({ } networkHost, { } network) ? AccessPaths.Network(networkHost, network) : null
        : (_scope, _hostId, _guestUuid, _poolName) switch
    {
        (GrantScope.Everything, _, _, _) => AccessPaths.Root,
        (GrantScope.Host, { } host, _, _) => AccessPaths.Host(host),
        (GrantScope.Guest, { } host, { } guest, _) => AccessPaths.Guest(host, guest),
        (GrantScope.Pool, { } host, _, { } pool) => AccessPaths.Pool(host, pool),
        _ => null,
    };

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        Access.Changed += OnAccessChanged;
        await RunAsync(async () => _userNames = await Directory.UserNamesAsync(_user));
    }

    private void ScopeChanged(GrantScope scope) => (_scope, _guestUuid, _poolName, _networkName) = (scope, null, null, null);

    private void HostChanged(Guid? hostId) => (_hostId, _guestUuid, _poolName, _networkName) = (hostId, null, null, null);

    private Task GrantAsync() => RunAsync(() => Directory.SetAsync(_user, _userName, ChosenPath, _role));

    private Task RemoveAsync(GrantSummary grant) => RunAsync(() => Directory.RemoveAsync(_user, grant.Id));

    /// <summary>What a path names, in the words of the pages: "Guest web1 on host-a".</summary>
    private string Describe(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length < 2 || !Guid.TryParse(segments[1], out var hostId))
        {
            return "Everything";
        }

        var host = LiveState.Hosts.Find(hostId.ToString())?.Name ?? "a removed host";
        return segments switch
        {
            [_, _, "guests", var uuid] when Guid.TryParse(uuid, out var guest) =>
                $"Guest {LiveState.Guests.Find(GuestState.KeyOf(hostId, guest))?.Name ?? uuid} on {host}",
            [_, _, "pools", var pool] => $"Pool {pool} on {host}",
            [_, _, "networks", var network] => $"Network {network} on {host}",
            _ => $"Host {host}",
        };
    }

    /// <summary>One change at a time; a second click while one runs does nothing. The list is read again afterwards.</summary>
    private async Task RunAsync(Func<Task> change)
    {
        if (await _action.RunAsync(change))
        {
            await ReloadAsync();
        }
    }

    private async Task ReloadAsync()
    {
        try
        {
            _grants = await Directory.ListAsync(_user);
        }
        catch (AccessDeniedException e)
        {
            (_action.Error, _grants) = (e.Message, []);
        }
    }

    // Another Administrator's change (or this one's) shows without a reload.
    private void OnAccessChanged() => _ = InvokeAsync(async () =>
    {
        await ReloadAsync();
        StateHasChanged();
    });

    public ValueTask DisposeAsync()
    {
        Access.Changed -= OnAccessChanged;
        return ValueTask.CompletedTask;
    }
}

using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;
using VirtWeb.Components;
using VirtWeb.Guests;

namespace VirtWeb.Snapshots;

/// <summary>
/// The guest page's Snapshots tab: the tree, live (<see cref="SnapshotService.WatchAsync"/>: re-read after every
/// snapshot action from any page and whenever the guest's state changes), and create, revert, delete and compare.
/// </summary>
public partial class GuestSnapshots : IAsyncDisposable
{
    private readonly OneAtATime _action = new(e => e is GuestActionException or AccessDeniedException);
    private CancellationTokenSource? _watching;
    private string? _watchKey;
    private SnapshotTree? _tree;
    private System.Security.Claims.ClaimsPrincipal _user = new();
    private bool _creating;
    private string _name = "";
    private string? _description;
    private SnapshotKind _kind;
    private bool _withMemory = true;
    private SnapshotCost? _cost;
    private (string Name, bool Revert)? _confirm;
    private bool _safety = true;
    private bool _withDescendants;
    private SnapshotComparison? _comparison;

    [Parameter, EditorRequired]
    public required GuestState Guest { get; set; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required SnapshotService Snapshots { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    // Convenience only: SnapshotService checks the user's role on this guest for every action.
    private bool MayAct => Access.Allows(_user, Guest.AccessPath, Permission.ManageGuests);

    protected override async Task OnParametersSetAsync()
    {
        _user = (await AuthenticationState).User;
        if (_watchKey == Guest.Key)
        {
            return;
        }

        _watchKey = Guest.Key;
        if (_watching is not null)
        {
            await _watching.CancelAsync();
            _watching.Dispose();
        }

        (_tree, _creating, _confirm, _comparison) = (null, false, null, null);
        _watching = new CancellationTokenSource();
        _ = FollowAsync(Guest.HostId, Guest.Uuid, _watching.Token);
    }

    private async Task FollowAsync(Guid hostId, Guid uuid, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var tree in Snapshots.WatchAsync(_user, hostId, uuid, cancellationToken))
            {
                await InvokeAsync(() =>
                {
                    _tree = tree;
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The page left or shows another guest.
        }
        catch (AccessDeniedException e)
        {
            await InvokeAsync(() =>
            {
                _action.Error = e.Message;
                StateHasChanged();
            });
        }
    }

    private int Descendants(string name) => _tree?.DescendantsOf(name).Count() ?? 0;

    private Task OpenCreateAsync()
    {
        (_creating, _confirm, _name, _description) = (true, null, $"snap-{DateTime.Now:yyyyMMdd-HHmmss}", null);
        _kind = _tree?.Snapshots.FirstOrDefault()?.Kind ?? SnapshotKind.Internal;
        _withMemory = Guest.IsActive && _kind == SnapshotKind.Internal;
        return UpdateCostAsync();
    }

    private Task NameChangedAsync(string name)
    {
        _name = name;
        return UpdateCostAsync();
    }

    private Task KindChangedAsync(SnapshotKind kind)
    {
        _kind = kind;
        _withMemory = kind == SnapshotKind.Internal && Guest.IsActive;
        return UpdateCostAsync();
    }

    private Task MemoryChangedAsync(bool withMemory)
    {
        _withMemory = withMemory;
        return UpdateCostAsync();
    }

    private SnapshotCreateInput Input => new(_name, _description, _kind, _withMemory && Guest.IsActive);

    private async Task UpdateCostAsync()
    {
        try
        {
            _cost = await Snapshots.ReadCostAsync(_user, Guest.HostId, Guest.Uuid, Input);
        }
        catch (Exception e) when (e is GuestActionException or AccessDeniedException)
        {
            _cost = null;
            _action.Error = e.Message;
        }
    }

    private Task CreateAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        var result = await Snapshots.CreateAsync(user, Guest.HostId, Guest.Uuid, Input);
        Snackbar.Add(result.Message, result.Done ? Severity.Success : Severity.Info);
        _creating = !result.Done;
    });

    private void Confirm(string name, bool revert)
    {
        (_confirm, _creating, _safety, _withDescendants) = ((name, revert), false, true, false);
        _action.Error = null;
    }

    private Task RevertAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        var result = await Snapshots.RevertAsync(user, Guest.HostId, Guest.Uuid, _confirm!.Value.Name, _safety);
        Snackbar.Add(result.Message, result.Done ? Severity.Success : Severity.Info);
        _confirm = null;
    });

    private Task DeleteAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        var result = await Snapshots.DeleteAsync(user, Guest.HostId, Guest.Uuid, _confirm!.Value.Name, _withDescendants);
        Snackbar.Add(result.Message, result.Done ? Severity.Success : Severity.Info);
        _confirm = null;
    });

    private Task RemoveLeftoverAsync(string path) => _action.RunAsync(AuthenticationState, async user =>
    {
        var result = await Snapshots.RemoveLeftoverAsync(user, Guest.HostId, Guest.Uuid, path);
        Snackbar.Add(result.Message, result.Done ? Severity.Success : Severity.Info);
    });

    private Task CompareAsync(string name) => _action.RunAsync(AuthenticationState, async user =>
        _comparison = await Snapshots.ReadComparisonAsync(user, Guest.HostId, Guest.Uuid, name));

    public async ValueTask DisposeAsync()
    {
        if (_watching is not null)
        {
            await _watching.CancelAsync();
            _watching.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}

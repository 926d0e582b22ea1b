namespace VirtWeb.Images;

public partial class ImageList
{
    private LiveView<PoolState>? _pools;
    private LiveView<VolumeState>? _volumes;
    private LiveView<HostState>? _hosts;
    private ClaimsPrincipal _user = new();

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required VolumeService VolumeService { get; init; }

    [Inject]
    public required PoolService PoolService { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required StorageRoots Roots { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    private IEnumerable<PoolState> Pools =>
        _pools?.Items.OrderBy(p => p.HostName, StringComparer.CurrentCultureIgnoreCase).ThenBy(p => p.Name, StringComparer.Ordinal) ?? Enumerable.Empty<PoolState>();

    // Only what a guest may attach: an ISO in a pool outside the roots cannot be picked.
    private IEnumerable<VolumeState> Isos =>
        _volumes?.Items.Where(v => v.IsIso && _pools?.Find(v.PoolKey) is { OutsideRoots: false }).OrderBy(v => v.Name, StringComparer.Ordinal)
        ?? Enumerable.Empty<VolumeState>();

    /// <summary>The connected hosts where the user may make pools: Administrators of the host.</summary>
    private IEnumerable<HostState> PoolHosts =>
        _hosts?.Items.Where(h => h.Connection == HostConnectionState.Connected && Access.Allows(_user, h.AccessPath, Permission.ManageHosts))
        ?? Enumerable.Empty<HostState>();

    private const string OutsideRootsHint =
        "Another tool defined this pool outside the directories VirtWeb's configuration names (Images:PoolRoots). " +
        "VirtWeb shows it, but neither downloads, uploads into, wipes, resizes nor deletes its volumes, nor attaches them to guests.";

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        var user = _user;
        _pools = new LiveView<PoolState>(LiveState.Pools, p => p.Key, InvokeAsync, _ => StateHasChanged(), p => Access.Allows(user, p.AccessPath, Permission.View));
        _volumes = new LiveView<VolumeState>(LiveState.Volumes, v => v.Key, InvokeAsync, _ => StateHasChanged(), v => Access.Allows(user, v.AccessPath, Permission.View));
        _hosts = new LiveView<HostState>(LiveState.Hosts, h => h.Key, InvokeAsync, _ => StateHasChanged(), h => Access.MaySeeAnythingUnder(user, h.AccessPath));
    }

    // Hides what the service would refuse anyway; the services check the user's role and the roots for every change.
    private bool MayManageImages(PoolState pool) => Access.Allows(_user, pool.AccessPath, Permission.ManageImages);

    private bool MayChange(PoolState pool) => !pool.OutsideRoots && MayManageImages(pool);

    private bool MayDelete(PoolState pool) => !pool.OutsideRoots && Access.Allows(_user, AccessPaths.Host(pool.HostId), Permission.ManageHosts);

    private IEnumerable<VolumeState> VolumesOf(PoolState pool) =>
        _volumes?.Items.Where(v => v.PoolKey == pool.Key).OrderBy(v => v.Name, StringComparer.Ordinal) ?? Enumerable.Empty<VolumeState>();

    private string HostName(Guid hostId) => _hosts?.Find(hostId.ToString())?.Name ?? "";

    private static string StateText(PoolState pool) => pool.State switch
    {
        StoragePoolState.Running => "active",
        StoragePoolState.Inactive => "inactive",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static string FormatHint(VolumeState volume) => volume.Format switch
    {
        "qcow2" => "Copy-on-write, thin: grows as data is written up to its virtual size; can back overlays.",
        "raw" => "Raw bytes, preallocated when created here: takes its whole virtual size on the host.",
        "iso" => "An ISO 9660 image: installation media, read only.",
        _ => "The format libvirt detected.",
    };

    private static string ShortName(string path) => Path.GetFileName(path) is { Length: > 0 } name ? name : path;

    private static string DownloadUrl(VolumeState volume) =>
        $"api/images/download?host={volume.HostId}&path={Uri.EscapeDataString(volume.Path)}";

    private string PoolDeleteQuestion(PoolState pool) => Roots.IsRoot(pool.TargetPath)
        ? $"VirtWeb stops {pool.Name} and forgets the pool; its directory {pool.TargetPath} is one of VirtWeb's storage roots and stays. Only an empty pool can be deleted."
        : $"VirtWeb stops {pool.Name}, removes its directory {pool.TargetPath} and forgets the pool. Only an empty pool can be deleted.";

    private Task CreatePoolAsync() => ShowAsync<PoolDialog>("New directory pool", new DialogParameters<PoolDialog>
    {
        { d => d.Hosts, PoolHosts.OrderBy(h => h.Name, StringComparer.CurrentCultureIgnoreCase).ToList() },
    });

    private Task CreateVolumeAsync(PoolState pool) => VolumeDialogAsync(pool, null, VolumeDialogMode.Create);

    private Task VolumeDialogAsync(PoolState pool, VolumeState? volume, VolumeDialogMode mode) =>
        ShowAsync<VolumeDialog>(mode switch
        {
            VolumeDialogMode.Create => $"New volume in {pool.Name}",
            VolumeDialogMode.Overlay => $"Overlay on {volume!.Name}",
            VolumeDialogMode.Clone => $"Clone {volume!.Name}",
            _ => $"Resize {volume!.Name}",
        }, new DialogParameters<VolumeDialog>
        {
            { d => d.Pool, pool },
            { d => d.Source, volume },
            { d => d.Mode, mode },
        });

    private Task UploadAsync(PoolState pool) => ShowAsync<UploadDialog>($"Upload into {pool.Name}", new DialogParameters<UploadDialog> { { d => d.Pool, pool } });

    private async Task ShowAsync<TDialog>(string title, DialogParameters<TDialog> parameters)
        where TDialog : ComponentBase
    {
        var dialog = await Dialogs.ShowAsync<TDialog>(title, parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: string done })
        {
            Snackbar.Add(done, Severity.Success);
        }
    }

    private Task WipeAsync(VolumeState volume) => ConfirmAndRunAsync(
        $"Wipe {volume.Name}?",
        $"Every byte of {volume.Name} is overwritten with zeros. The data cannot be recovered.",
        "Wipe",
        () => VolumeService.WipeVolumeAsync(_user, volume.HostId, volume.Path),
        $"Wiped {volume.Name}.");

    private Task DeleteAsync(VolumeState volume) => ConfirmAndRunAsync(
        $"Delete {volume.Name}?",
        $"The file {volume.Path} is deleted from the host.",
        "Delete",
        () => VolumeService.DeleteVolumeAsync(_user, volume.HostId, volume.Path),
        $"Deleted {volume.Name}.");

    private Task PoolActionAsync(PoolState pool, Func<ClaimsPrincipal, Guid, string, Task> action, string? question) =>
        question is null
            ? RunAsync(() => action(_user, pool.HostId, pool.Name), null)
            : ConfirmAndRunAsync($"Delete pool {pool.Name}?", question, "Delete", () => action(_user, pool.HostId, pool.Name), $"Deleted pool {pool.Name}.");

    private async Task ConfirmAndRunAsync(string title, string message, string yes, Func<Task> action, string done)
    {
        if (await Dialogs.ShowMessageBoxAsync(title, message, yesText: yes, cancelText: "Cancel") == true)
        {
            await RunAsync(action, done);
        }
    }

    private async Task RunAsync(Func<Task> action, string? done)
    {
        try
        {
            await action();
            if (done is not null)
            {
                Snackbar.Add(done, Severity.Success);
            }
        }
        catch (Exception e) when (e is ImageException or AccessDeniedException)
        {
            Snackbar.Add(e.Message, Severity.Error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_pools is not null)
        {
            await _pools.DisposeAsync();
        }

        if (_volumes is not null)
        {
            await _volumes.DisposeAsync();
        }

        if (_hosts is not null)
        {
            await _hosts.DisposeAsync();
        }
    }
}

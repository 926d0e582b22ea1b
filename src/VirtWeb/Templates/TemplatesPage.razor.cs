namespace VirtWeb.Templates;

/// <summary>
/// The templates of every host the user may see, live from the store (a guest marked or unmarked elsewhere comes and
/// goes at once); OS, disks and sizes are read from libvirt per host when its set of templates changes.
/// </summary>
public partial class TemplatesPage
{
    private readonly HashSet<string> _busy = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TemplateInfo> _details = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reading = new(StringComparer.Ordinal);
    private LiveView<GuestState>? _guests;
    private ClaimsPrincipal _user = new();
    private string? _markKey;

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required TemplateService TemplateService { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    private List<GuestState> Templates { get; set; } = [];

    private List<GuestState> Markable { get; set; } = [];

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        var user = _user;
        _guests = new LiveView<GuestState>(LiveState.Guests, g => g.Key, InvokeAsync, _ => Recompute(), g => Access.Allows(user, g.AccessPath, Permission.View));
        Recompute(render: false);
    }

    private void Recompute(bool render = true)
    {
        var all = _guests?.Items ?? [];
        Templates = all.Where(g => g.IsTemplate).ToList();
        Markable = all.Where(g => !g.IsTemplate && g is { HostConnected: true, IsActive: false, Persistent: true, Kind: GuestKind.VirtualMachine }
                && Access.Allows(_user, g.AccessPath, Permission.EditGuestXml))
            .OrderBy(g => g.Name, StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var hostId in Templates.Where(t => !_details.ContainsKey(t.Key)).Select(t => t.HostId).Distinct())
        {
            _ = ReadDetailsAsync(hostId);
        }

        if (render)
        {
            StateHasChanged();
        }
    }

    private async Task ReadDetailsAsync(Guid hostId)
    {
        if (!_reading.Add(hostId.ToString()))
        {
            return;
        }

        try
        {
            var wanted = Templates.Where(t => t.HostId == hostId).Select(t => t.Uuid).ToList();
            foreach (var info in await TemplateService.ListAsync(_user, hostId, wanted))
            {
                _details[GuestState.KeyOf(hostId, info.Uuid)] = info;
            }
        }
        catch (Exception e) when (e is GuestActionException or LibvirtException)
        {
            Snackbar.Add($"Could not read the templates' disks on {HostName(hostId)}: {e.Message}", Severity.Warning);
        }
        finally
        {
            _reading.Remove(hostId.ToString());
        }

        await InvokeAsync(StateHasChanged);
    }

    private TemplateInfo? Details(GuestState guest) => _details.GetValueOrDefault(guest.Key);

    private string HostName(Guid hostId) => LiveState.Hosts.Find(hostId.ToString())?.Name ?? "(removed host)";

    private Task DeployAsync(GuestState template) => DeployDialog.ShowAsync(Dialogs, template);

    private Task MarkAsync() =>
        _markKey is { } key && _guests?.Find(key) is { } guest ? ActAsync(guest, user => TemplateService.MarkAsync(user, guest.HostId, guest.Uuid)) : Task.CompletedTask;

    private Task UnmarkAsync(GuestState guest) =>
        ActAsync(guest, user => TemplateService.UnmarkAsync(user, guest.HostId, guest.Uuid));

    private async Task ActAsync(GuestState guest, Func<ClaimsPrincipal, Task<GuestActionResult>> act)
    {
        if (!_busy.Add(guest.Key))
        {
            return;
        }

        try
        {
            var result = await act(_user);
            _details.Remove(guest.Key);
            _markKey = null;
            Snackbar.Add(result.Message, result.Done ? Severity.Success : Severity.Info);
        }
        catch (Exception e) when (e is GuestActionException or AccessDeniedException)
        {
            Snackbar.Add(e.Message, Severity.Error);
        }
        finally
        {
            _busy.Remove(guest.Key);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_guests is not null)
        {
            await _guests.DisposeAsync();
        }
    }
}

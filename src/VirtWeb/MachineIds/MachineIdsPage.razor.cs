namespace VirtWeb.MachineIds;

/// <summary>
/// Every host's and guest's machine ID with its source, live: the registry's entries, and the hosts and guests that
/// decide whether a guest still exists and which action fits it. Duplicates are recomputed on each change.
/// </summary>
public partial class MachineIdsPage
{
    private readonly HashSet<string> _busy = new(StringComparer.Ordinal);
    private readonly LiveViews _live = new();
    private LiveView<MachineIdEntry>? _entries;
    private LiveView<GuestState>? _guests;
    private LiveView<HostState>? _hosts;
    private LiveClock? _clock;
    private ClaimsPrincipal _user = new();
    private IReadOnlyList<MachineIdDuplicate> _duplicates = [];
    private HashSet<string> _duplicateIds = new(StringComparer.Ordinal);

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required MachineIdRegistry Registry { get; init; }

    [Inject]
    public required MachineIdService MachineIds { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    [Inject]
    public required TimeProvider TimeProvider { get; init; }

    private List<MachineIdEntry> Rows { get; set; } = [];

    protected override async Task OnInitializedAsync()
    {
        var user = (await AuthenticationState).User;

        _user = user;
        _hosts = _live.Add(new LiveView<HostState>(LiveState.Hosts, h => h.Key, InvokeAsync, _ => Recompute(), h => Access.MaySeeAnythingUnder(user, h.AccessPath)));
        _guests = _live.Add(new LiveView<GuestState>(LiveState.Guests, g => g.Key, InvokeAsync, _ => Recompute(), g => Access.Allows(user, g.AccessPath, Permission.View)));
        _entries = _live.Add(new LiveView<MachineIdEntry>(Registry.Entries, e => e.Key, InvokeAsync, _ => Recompute(), e => MaySee(user, e)));
        _clock = _live.Add(new LiveClock(TimeProvider, InvokeAsync, () => Rows.Count > 0, StateHasChanged));
        Recompute(render: false);
    }

    // Only the hosts and guests the user may see; a duplicate elsewhere shows to whoever may see both holders.
    private bool MaySee(ClaimsPrincipal user, MachineIdEntry entry) => MachineIdRegistry.MaySee(Access, user, entry);

    // Hides what the service would refuse anyway; MachineIdService checks the user's role on the guest for every change.
    private bool MayAct(GuestState guest) => Access.Allows(_user, guest.AccessPath, Permission.ManageGuests);

    private void Recompute(bool render = true)
    {
        var entries = _entries?.Items.ToList() ?? [];
        _duplicates = MachineIdSubjects.FindDuplicates(entries, IsGone);
        _duplicateIds = _duplicates.Select(d => d.MachineId).ToHashSet(StringComparer.Ordinal);
        Rows = entries
            .OrderByDescending(e => _duplicateIds.Contains(e.MachineId) && !IsGone(e))
            .ThenBy(IsGone)
            .ThenBy(e => e.Kind)
            .ThenBy(e => e.Name, StringComparer.CurrentCultureIgnoreCase)
            .ThenBy(e => e.Source)
            .ToList();
        if (render)
        {
            StateHasChanged();
        }
    }

    private bool IsGone(MachineIdEntry entry) =>
        _hosts is not null && _guests is not null
        && MachineIdRegistry.IsGone(entry, _hosts.Items, (hostId, uuid) => _guests.Find(GuestState.KeyOf(hostId, uuid)) is not null);

    private GuestState? Guest(MachineIdEntry entry) =>
        entry.GuestUuid is { } uuid ? _guests?.Find(GuestState.KeyOf(entry.HostId, uuid)) : null;

    private string HostName(Guid hostId) => _hosts?.Find(hostId.ToString())?.Name ?? "(removed host)";

    private static string KindText(MachineIdEntry entry) => entry.Kind == MachineIdSubjectKind.Host ? "host" : "guest";

    private string Ago(DateTimeOffset when)
    {
        var span = (_clock?.Now ?? TimeProvider.GetUtcNow()) - when;
        return span < TimeSpan.FromMinutes(1) ? "just now" : $"{GuestText.Uptime(span)} ago";
    }

    public static string SourceText(MachineIdSource source) => source switch
    {
        MachineIdSource.HostFile => "host /etc/machine-id",
        MachineIdSource.LibvirtHostUuid => "libvirt host UUID",
        MachineIdSource.GuestAgent => "agent: /etc/machine-id",
        MachineIdSource.GuestAgentDbus => "agent: /var/lib/dbus/machine-id",
        MachineIdSource.SmbiosCredential => "SMBIOS credential (VirtWeb)",
        _ => source.ToString(),
    };

    private Task RegenerateAsync(GuestState guest) =>
        ActAsync(guest, async user => await MachineIds.RegenerateAsync(user, guest.HostId, guest.Uuid));

    private Task AssignAsync(GuestState guest) =>
        ActAsync(guest, async user => await MachineIds.AssignAsync(user, guest.HostId, guest.Uuid));

    private async Task ActAsync(GuestState guest, Func<ClaimsPrincipal, Task<GuestActionResult>> act)
    {
        if (!_busy.Add(guest.Key))
        {
            return;
        }

        try
        {
            var result = await act((await AuthenticationState).User);
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

    public ValueTask DisposeAsync() => _live.DisposeAsync();
}

using System.Collections.Concurrent;
using VirtWeb.Components;

namespace VirtWeb.Templates;

/// <summary>
/// Asks for a deploy (name, count, disks, network, size, cloud-init), previews the seed, then shows each guest's step
/// as the service reports it and, once made, the guest's live state from the store (running shows without a reload).
/// </summary>
public partial class DeployDialog
{
    private readonly OneAtATime _action = new(e => e is DeployInputException or GuestActionException or AccessDeniedException or InvalidOperationException);
    private readonly ConcurrentDictionary<int, DeployGuestStatus> _statuses = new();
    private LiveView<GuestState>? _guests;
    private string? _name;
    private int _count = 1;
    private GuestCloneDisks _disks = GuestCloneDisks.Overlay;
    private string? _network;
    private int? _vcpus;
    private ulong? _memoryMiB;
    private bool _cloudInit = true;
    private string? _hostName;
    private string? _user;
    private string? _password;
    private string? _sshKeys;
    private string? _packages;
    private string? _userData;
    private CloudInitFiles? _preview;
    private OsPreset? _preset;

    [CascadingParameter]
    public required IMudDialogInstance Dialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Parameter, EditorRequired]
    public required GuestState Template { get; set; }

    [Inject]
    public required TemplateDeployService Deploys { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required GuestService Guests { get; init; }

    [Inject]
    public required OsPresets Presets { get; init; }

    public static async Task ShowAsync(IDialogService dialogs, GuestState template)
    {
        var parameters = new DialogParameters<DeployDialog> { { d => d.Template, template } };
        var dialog = await dialogs.ShowAsync<DeployDialog>($"Deploy from {template.Name}", parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        await dialog.Result;
    }

    private IEnumerable<string> Networks => LiveState.Networks.Current(n => n.HostId == Template.HostId).Select(n => n.Name).Order(StringComparer.Ordinal);

    private string MemoryHelp => $"template: {Template.MaxMemoryKiB / 1024} MiB" + (_preset?.MinimumMemoryMiB is { } min ? $"; at least {min} MiB" : "");

    private int Finished => _statuses.Values.Count(s => s.Step is DeployStep.Done or DeployStep.Failed);

    private double Percent => _statuses.IsEmpty ? 0 : 100.0 * Finished / _statuses.Count;

    protected override async Task OnInitializedAsync()
    {
        _name = Template.Name.EndsWith("-template", StringComparison.Ordinal) ? Template.Name[..^"-template".Length] : $"{Template.Name}-vm";
        var hostId = Template.HostId;
        _guests = new LiveView<GuestState>(LiveState.Guests, g => g.Key, InvokeAsync, _ => StateHasChanged(), g => g.HostId == hostId);
        try
        {
            var details = await Guests.ReadDetailsAsync((await AuthenticationState).User, Template.HostId, Template.Uuid);
            _preset = Presets.ForDomain(details.Definition);
        }
        catch (GuestActionException)
        {
            // The deploy reads the template again and says what is wrong with it.
        }
    }

    private string LiveStateOf(DeployGuestStatus status) =>
        status.Uuid is { } uuid && _guests?.Find(GuestState.KeyOf(Template.HostId, uuid)) is { } guest ? guest.StateText : "";

    private DeployRequest Request() => new(
        _name ?? "", _count, _disks, _network, _vcpus, _memoryMiB,
        _cloudInit ? new CloudInitInput(_hostName, _user, _password, Lines(_sshKeys, keys: true), Lines(_packages, keys: false), _userData) : null);

    private static IReadOnlyList<string> Lines(string? text, bool keys) =>
        (text ?? "").Split(keys ? ['\n'] : ['\n', ' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private Task PreviewAsync() => _action.RunAsync(async () => _preview = await TemplateDeployService.PreviewAsync(Request()));

    private Task DeployAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        // Reported in order on the deploy's own thread (Progress<T> would post, and a late post could overwrite a result).
        var progress = new Reporter(status =>
        {
            _statuses[status.Index] = status;
            _ = InvokeAsync(StateHasChanged);
        });
        var results = await Deploys.DeployAsync(user, Template.HostId, Template.Uuid, Request(), progress);
        foreach (var result in results)
        {
            _statuses[result.Index] = result;
        }
    });

    private sealed class Reporter(Action<DeployGuestStatus> report) : IProgress<DeployGuestStatus>
    {
        public void Report(DeployGuestStatus value) => report(value);
    }

    public async ValueTask DisposeAsync()
    {
        if (_guests is not null)
        {
            await _guests.DisposeAsync();
        }
    }
}

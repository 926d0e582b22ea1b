using VirtWeb.Components;
using VirtWeb.Images;

namespace VirtWeb.Guests;

/// <summary>
/// The create-guest form; GuestCreationService validates everything again and creates nothing half-way. Every file the guest
/// uses is picked from the volumes of active pools inside the storage roots on the chosen host, never typed.
/// </summary>
public partial class CreateGuestDialog
{
    private const string NoPools = "Pools inside VirtWeb's storage roots are listed on the Images page.";

    private Guid _hostId;
    private string? _name;
    private int _vcpus = 1;
    private int _memoryMiB = 512;
    private GuestDiskChoice _disk = GuestDiskChoice.NewQcow2;
    private string? _pool;
    private int _diskGiB = 10;
    private string? _volumePath;
    private GuestBootChoice _boot = GuestBootChoice.Iso;
    private string? _isoPath;
    private string? _kernelPath;
    private string? _initrdPath;
    private string? _cmdline;
    private GuestNetworkChoice _network = GuestNetworkChoice.Network;
    private string? _networkSource = "default";
    private readonly OneAtATime _action = new(e => e is GuestActionException or AccessDeniedException);
    private VirtWeb.Templates.OsPreset? _os;
    private string _diskBus = "virtio";
    private string _nicModel = "virtio";
    // The OS came from the chosen ISO's label, not from the user: another ISO may replace it.
    private bool _osDetected;
    private VirtWeb.Templates.IsoDetection? _isoDetection;

    [CascadingParameter]
    public required IMudDialogInstance Dialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Parameter]
    public IReadOnlyList<HostState> Hosts { get; set; } = [];

    [Inject]
    public required GuestCreationService Creation { get; init; }

    [Inject]
    public required LiveStateStore LiveState { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required VirtWeb.Networks.NetworkService Networks { get; init; }

    [Inject]
    public required VirtWeb.Templates.OsPresets Presets { get; init; }

    [Inject]
    public required VirtWeb.Templates.IsoOsDetection Detection { get; init; }

    /// <summary>The host's networks (name, mode, state) or its bridges, whichever the network choice asks for.</summary>
    internal IReadOnlyList<(string Value, string Text)> NetworkChoices => NetworkSources;

    private IReadOnlyList<(string Value, string Text)> NetworkSources { get; set; } = [];

    private IReadOnlyList<string> _bridges = [];

    private ClaimsPrincipal _user = new();

    /// <summary>The chosen host's active pools inside the roots that the user may see.</summary>
    private IReadOnlyList<PoolState> Pools { get; set; } = [];

    private IReadOnlyList<VolumeState> Volumes { get; set; } = [];

    private IEnumerable<VolumeState> Isos => Volumes.Where(v => v.IsIso);

    private IEnumerable<VolumeState> Disks => Volumes.Where(v => !v.IsIso);

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthenticationState).User;
        _hostId = Hosts.FirstOrDefault(h => h.Connection == HostConnectionState.Connected)?.HostId ?? Guid.Empty;
        HostChanged();
    }

    private void HostChanged()
    {
        Pools = [.. LiveState.Pools.Current(p => p.HostId == _hostId && p.IsActive && !p.OutsideRoots && Access.Allows(_user, p.AccessPath, Permission.View))
            .OrderBy(p => p.Name, StringComparer.Ordinal)];
        var keys = Pools.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        Volumes = [.. LiveState.Volumes.Current(v => v.HostId == _hostId && keys.Contains(v.PoolKey))
            .OrderBy(v => v.PoolName, StringComparer.Ordinal).ThenBy(v => v.Name, StringComparer.Ordinal)];
        // A choice made on another host names nothing here.
        _pool = Pools.Any(p => p.Name == _pool) ? _pool : Pools.FirstOrDefault(p => p.Name == "default")?.Name ?? Pools.FirstOrDefault()?.Name;
        _volumePath = Volumes.Any(v => v.Path == _volumePath) ? _volumePath : null;
        _isoPath = Volumes.Any(v => v.Path == _isoPath) ? _isoPath : null;
        _kernelPath = Volumes.Any(v => v.Path == _kernelPath) ? _kernelPath : null;
        _initrdPath = Volumes.Any(v => v.Path == _initrdPath) ? _initrdPath : null;
        _ = LoadBridgesAsync();
        NetworkChoiceChanged();
    }

    private void NetworkChoiceChanged()
    {
        NetworkSources = _network == GuestNetworkChoice.Bridge
            ? [.. _bridges.Select(b => (b, b))]
            : [.. LiveState.Networks.Current(n => n.HostId == _hostId && Access.Allows(_user, n.AccessPath, Permission.View))
                .OrderBy(n => n.Name != "default").ThenBy(n => n.Name, StringComparer.Ordinal)
                .Select(n => (n.Name, $"{n.Name} ({VirtWeb.Networks.NetworkModes.Title(n.Mode)}{(n.Active ? "" : ", not running")})"))];
        // The default network unless the user chose otherwise; a name from another host names nothing here.
        _networkSource = NetworkSources.Any(s => s.Value == _networkSource) ? _networkSource : NetworkSources.FirstOrDefault().Value;
    }

    private async Task LoadBridgesAsync()
    {
        try
        {
            _bridges = await Networks.ListHostBridgesAsync(_user, _hostId);
        }
        catch (Exception e) when (e is VirtWeb.Networks.NetworkException or AccessDeniedException or VirtWeb.Libvirt.LibvirtException)
        {
            _bridges = [];
        }

        await InvokeAsync(() =>
        {
            NetworkChoiceChanged();
            StateHasChanged();
        });
    }

    private bool MemoryBelowMinimum => _os?.MinimumMemoryMiB is { } min && (ulong)Math.Max(0, _memoryMiB) < min;

    private Task<IEnumerable<VirtWeb.Templates.OsPreset>> SearchPresets(string? text, CancellationToken cancellationToken) =>
        Task.FromResult<IEnumerable<VirtWeb.Templates.OsPreset>>(Presets.Search(text));

    /// <summary>The user chose the OS (or cleared it): an ISO chosen later no longer replaces it.</summary>
    private void ChoosePreset(VirtWeb.Templates.OsPreset? preset)
    {
        _osDetected = false;
        ApplyPreset(preset);
    }

    /// <summary>The OS's recommended values (its minimum where osinfo recommends none) fill vCPUs, memory and disk size; its devices the disk bus and NIC model.</summary>
    internal void ApplyPreset(VirtWeb.Templates.OsPreset? preset)
    {
        _os = preset;
        if (preset is null)
        {
            return;
        }

        _vcpus = preset.RecommendedVcpus ?? preset.MinimumVcpus ?? _vcpus;
        _memoryMiB = (int)(preset.RecommendedMemoryMiB ?? preset.MinimumMemoryMiB ?? (ulong)_memoryMiB);
        _diskGiB = (int)(preset.RecommendedDiskGiB ?? preset.MinimumDiskGiB ?? (ulong)_diskGiB);
        _diskBus = preset.DiskBus;
        _nicModel = preset.NicModel;
    }

    /// <summary>A chosen ISO whose volume label osinfo knows preselects its OS, unless the user chose one.</summary>
    private async Task IsoChangedAsync()
    {
        _isoDetection = null;
        if (_isoPath is not { } path)
        {
            return;
        }

        var detection = await Detection.FindOsAsync(_user, _hostId, path);
        if (_isoPath != path)
        {
            return;
        }

        _isoDetection = detection;
        if (detection.Preset is { } preset && (_os is null || _osDetected))
        {
            ApplyPreset(preset);
            _osDetected = true;
        }
    }

    private string? IsoDetectionText => _isoDetection switch
    {
        null => null,
        { Label: null } => "VirtWeb found no ISO 9660 volume label in it; choose the OS below.",
        { Preset: { } preset } => $"Volume label '{_isoDetection.Label}': {preset.Name} (osinfo)" + (_os == preset ? ", chosen below" : "; the OS you chose below stays"),
        _ => $"Volume label '{_isoDetection.Label}': osinfo does not know it; choose the OS below.",
    };

    private static string PresetText(VirtWeb.Templates.OsPreset os) =>
        $"Minimum: {os.MinimumVcpus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} vCPU, {os.MinimumMemoryMiB?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} MiB, {os.MinimumDiskGiB?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} GiB · " +
        $"recommended: {os.RecommendedMemoryMiB?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} MiB, {os.RecommendedDiskGiB?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} GiB · " +
        $"disk bus {os.DiskBus}, NIC {os.NicModel} · " +
        (os.HasVirtio ? "virtio drivers: yes (the guest runs hybrid: full virtualization with paravirtual devices)" : "no virtio drivers (full virtualization, emulated devices)");

    private Task CreateAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        var guest = await Creation.CreateAsync(user, new GuestCreateInput(
            _hostId, _name, _vcpus, _memoryMiB, _disk, _pool, _diskGiB, _volumePath, _boot, _isoPath, _kernelPath, _initrdPath, _cmdline, _network, _networkSource, _os?.Id, _diskBus, _nicModel));
        Dialog.Close(DialogResult.Ok(guest));
    });
}

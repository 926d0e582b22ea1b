using VirtWeb.Components;

namespace VirtWeb.Images;

public enum VolumeDialogMode
{
    Create,
    Overlay,
    Clone,
    Resize,
}

public partial class VolumeDialog
{
    private const decimal GiB = 1L << 30;

    private string? _name;
    private string _format = "qcow2";
    private decimal _sizeGiB = 10;
    private bool _confirmShrink;
    private readonly OneAtATime _action = new(e => e is ImageException or AccessDeniedException);

    [CascadingParameter]
    public required IMudDialogInstance MudDialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required VolumeService Volumes { get; init; }

    [Parameter]
    public required PoolState Pool { get; set; }

    /// <summary>The volume to overlay, clone or resize; null when creating.</summary>
    [Parameter]
    public VolumeState? Source { get; set; }

    [Parameter]
    public VolumeDialogMode Mode { get; set; }

    private long SizeBytes => (long)Math.Round(_sizeGiB * GiB);

    private bool IsShrink => Mode == VolumeDialogMode.Resize && Source is not null && SizeBytes < (long)Source.CapacityBytes;

    private string? NameProblem => _name is null ? null : ImageNames.Problem(_name);

    private string SubmitText => Mode switch
    {
        VolumeDialogMode.Create => "Create",
        VolumeDialogMode.Overlay => "Create overlay",
        VolumeDialogMode.Clone => "Clone",
        _ => IsShrink ? "Shrink" : "Grow",
    };

    /// <summary>What the action will cost on the host, said before it happens.</summary>
    private string Consequence => Mode switch
    {
        VolumeDialogMode.Create when _format == "raw" =>
            $"Preallocated: takes {Size(SizeBytes)} on the host now ({ImageNames.Bytes(Pool.AvailableBytes)} available in {Pool.Name}).",
        VolumeDialogMode.Create =>
            $"Thin: takes well under 1 MiB now and grows as the guest writes, up to {Size(SizeBytes)}.",
        VolumeDialogMode.Overlay =>
            $"Chain: {(_name is { Length: > 0 } ? _name : "new")} → {Source!.Name}{string.Concat(Source.BackingChain.Select(p => " → " + Path.GetFileName(p)))}. " +
            $"The overlay is qcow2 and stores only what differs from {Source.Name}, which must stay as long as the overlay exists.",
        VolumeDialogMode.Clone when Source!.Format != _format =>
            $"Converts {Source.Format} to {_format}: a full copy of {ImageNames.Bytes(Source.CapacityBytes)} virtual" +
            (_format == "raw" ? $", taking all of it on the host." : ", thin on the host."),
        VolumeDialogMode.Clone => $"A full, independent copy of {Source!.Name} ({Source.Format}).",
        _ when IsShrink => Source!.IsCopyOnWrite
            ? $"{Source.Name} is qcow2: VirtWeb only grows such volumes."
            : $"Shrinking from {ImageNames.Bytes(Source.CapacityBytes)} to {Size(SizeBytes)} destroys everything past the new end. No guest may use it.",
        _ => $"Grows from {ImageNames.Bytes(Source!.CapacityBytes)} to {Size(SizeBytes)}; the guest must extend its partition to use the space.",
    };

    private static string Size(long bytes) => bytes > 0 ? ImageNames.Bytes((ulong)bytes) : $"{bytes} bytes";

    protected override void OnInitialized()
    {
        if (Source is not null)
        {
            _sizeGiB = Math.Round(Source.CapacityBytes / GiB, 2);
            _format = Source.Format == "raw" ? "raw" : "qcow2";
            _name = Mode switch
            {
                VolumeDialogMode.Overlay => $"{Path.GetFileNameWithoutExtension(Source.Name)}-overlay.qcow2",
                VolumeDialogMode.Clone => $"{Path.GetFileNameWithoutExtension(Source.Name)}-copy.{_format}",
                _ => null,
            };
        }
    }

    private void Cancel() => MudDialog.Cancel();

    private Task SubmitAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        var name = _name ?? "";
        string done;
        switch (Mode)
        {
            case VolumeDialogMode.Create:
                await Volumes.CreateVolumeAsync(user, Pool.HostId, Pool.Name, name, _format, SizeBytes);
                done = $"Created {name}.";
                break;
            case VolumeDialogMode.Overlay:
                await Volumes.CreateOverlayAsync(user, Pool.HostId, Pool.Name, name, Source!.Path);
                done = $"Created overlay {name} on {Source.Name}.";
                break;
            case VolumeDialogMode.Clone:
                await Volumes.CloneVolumeAsync(user, Pool.HostId, Source!.Path, Pool.Name, name, _format);
                done = $"Cloned {Source.Name} to {name}.";
                break;
            default:
                await Volumes.ResizeVolumeAsync(user, Pool.HostId, Source!.Path, SizeBytes, _confirmShrink);
                done = $"Resized {Source.Name} to {Size(SizeBytes)}.";
                break;
        }

        MudDialog.Close(DialogResult.Ok(done));
    });
}

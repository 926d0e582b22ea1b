using VirtWeb.Images;

namespace VirtWeb.Guests;

/// <summary>One volume chosen by its path from a list the caller filtered (pools inside the storage roots), never typed.</summary>
public partial class VolumePicker
{
    [Parameter]
    public string? Value { get; set; }

    [Parameter]
    public EventCallback<string?> ValueChanged { get; set; }

    [Parameter]
    public string Label { get; set; } = "Volume";

    [Parameter]
    public IEnumerable<VolumeState> Volumes { get; set; } = [];

    /// <summary>Shown when there is nothing to pick: where the volumes come from.</summary>
    [Parameter]
    public string? Empty { get; set; }

    /// <summary>May be left empty (the initrd).</summary>
    [Parameter]
    public bool Optional { get; set; }

    [Parameter]
    public string? TestId { get; set; }
}

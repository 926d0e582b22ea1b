namespace VirtWeb.Degraded;

/// <summary>Shown on every page of the main layout while the database cannot be reached; goes by itself when it is back.</summary>
public partial class DatabaseBanner
{
    [Inject]
    public required DatabaseHealth Health { get; init; }

    protected override void OnInitialized() => Health.Changed += OnChanged;

    // Raised on the probe's thread: hop onto the circuit's before rendering.
    private void OnChanged() => _ = InvokeAsync(StateHasChanged);

    public void Dispose() => Health.Changed -= OnChanged;
}

namespace VirtWeb.Containers;

/// <summary>Reads the kernels when the guest starts running (or the page opens on a running guest), not on every change.</summary>
public partial class KernelPanel
{
    private IReadOnlyList<GuestKernel> _kernels = [];
    private (Guid Uuid, DateTimeOffset? Since)? _readFor;
    private bool _agent;

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Parameter, EditorRequired]
    public required GuestState Guest { get; set; }

    [Inject]
    public required GuestKernels Kernels { get; init; }

    protected override async Task OnParametersSetAsync()
    {
        var run = (Guest.Uuid, Guest.State == DomainState.Running ? Guest.RunningSince ?? DateTimeOffset.MinValue : (DateTimeOffset?)null);
        if (_readFor == run && Guest.HasAgent == _agent)
        {
            return;
        }

        _readFor = run;
        _agent = Guest.HasAgent;
        var user = (await AuthenticationState).User;
        _kernels = run.Item2 is null ? [] : await Kernels.ReadSideBySideAsync(user, Guest);
    }
}

using VirtWeb.Components;

namespace VirtWeb.Hosts;

public partial class HostDialog
{
    private string? _name;
    private string? _uri;
    private readonly OneAtATime _action = new(e => e is AccessDeniedException);
    private ConnectionProbeResult? _probe;
    private IReadOnlyDictionary<string, string> _errors = new Dictionary<string, string>();

    [CascadingParameter]
    public required IMudDialogInstance MudDialog { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required HostService Hosts { get; init; }

    /// <summary>The host to edit; null adds a new one.</summary>
    [Parameter]
    public HostState? Host { get; set; }

    protected override void OnInitialized()
    {
        _name = Host?.Name;
        _uri = Host?.Uri;
    }

    private void Cancel() => MudDialog.Cancel();

    private async Task TestConnectionAsync()
    {
        var ran = await _action.RunAsync(AuthenticationState, async user =>
        {
            try
            {
                _probe = await Hosts.TestConnectionAsync(user, new HostInput(_name, _uri), Host?.HostId);
                _errors = new Dictionary<string, string>();
            }
            catch (InvalidHostException e)
            {
                _probe = null;
                _errors = e.Errors.Where(error => error.Key == nameof(HostInput.Uri)).ToDictionary();
            }
        });

        // A refused test shows no earlier test's result.
        if (ran && _action.Error is not null)
        {
            _probe = null;
        }
    }

    // One at a time: a second click while saving must not add the host twice.
    private Task SaveAsync() => _action.RunAsync(AuthenticationState, async user =>
    {
        try
        {
            var input = new HostInput(_name, _uri);
            var saved = Host is null
                ? await Hosts.AddAsync(user, input)
                : await Hosts.UpdateAsync(user, Host.HostId, input);
            MudDialog.Close(DialogResult.Ok(saved));
        }
        catch (InvalidHostException e)
        {
            _errors = e.Errors;
            _action.Error = e.Errors.TryGetValue("", out var general) ? general : null;
        }
    });
}

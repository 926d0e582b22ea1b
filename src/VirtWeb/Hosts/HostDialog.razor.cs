using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using VirtWeb.Access;

namespace VirtWeb.Hosts;

public partial class HostDialog
{
    private string? _name;
    private string? _uri;
    private string? _error;
    private bool _busy;
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
        if (_busy)
        {
            return;
        }

        _busy = true;
        _error = null;
        try
        {
            var user = (await AuthenticationState).User;
            _probe = await Hosts.TestConnectionAsync(user, new HostInput(_name, _uri), Host?.HostId);
            _errors = new Dictionary<string, string>();
        }
        catch (InvalidHostException e)
        {
            _probe = null;
            _errors = e.Errors.Where(error => error.Key == nameof(HostInput.Uri)).ToDictionary();
        }
        catch (AccessDeniedException e)
        {
            _probe = null;
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task SaveAsync()
    {
        // A second click while saving must not add the host twice.
        if (_busy)
        {
            return;
        }

        _busy = true;
        _error = null;
        try
        {
            var user = (await AuthenticationState).User;
            var input = new HostInput(_name, _uri);
            var saved = Host is null
                ? await Hosts.AddAsync(user, input)
                : await Hosts.UpdateAsync(user, Host.HostId, input);
            MudDialog.Close(DialogResult.Ok(saved));
        }
        catch (InvalidHostException e)
        {
            _errors = e.Errors;
            _error = e.Errors.TryGetValue("", out var general) ? general : null;
        }
        catch (AccessDeniedException e)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }
}

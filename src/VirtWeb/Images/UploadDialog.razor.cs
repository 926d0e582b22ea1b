using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;

namespace VirtWeb.Images;

public partial class UploadDialog : IAsyncDisposable
{
    private ElementReference _input;
    private IJSObjectReference? _module;
    private DotNetObjectReference<UploadDialog>? _self;
    private string? _name;
    private string _format = "iso";
    private long? _size;
    private long _sent;
    private int? _uploadId;
    private bool _uploading;
    private string? _error;

    // Set once the user typed a name or picked a format: the file's own name and extension are only defaults.
    private bool _nameTyped;
    private bool _formatChosen;

    [CascadingParameter]
    public required IMudDialogInstance MudDialog { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [Inject]
    public required AntiforgeryStateProvider Antiforgery { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Parameter]
    public required PoolState Pool { get; set; }

    private double Percent => _size is > 0 ? Math.Min(100, 100.0 * _sent / _size.Value) : 0;

    private string? NameProblem => _name is null ? null : ImageNames.Problem(_name);

    private async Task<IJSObjectReference> ModuleAsync() =>
        _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./Images/UploadDialog.razor.js");

    private async Task FileChosenAsync(ChangeEventArgs _)
    {
        var file = await (await ModuleAsync()).InvokeAsync<ChosenFile?>("describe", _input);
        _size = file?.Size;
        _sent = 0;
        _error = null;
        // describe is a round trip to the browser, and the name field's input events run while it is under way: a name
        // typed before or meanwhile must win over the file's own name, or the volume is created under the wrong name.
        if (file is not null && !_nameTyped)
        {
            _name = file.Name;
        }

        if (file is not null && !_formatChosen)
        {
            _format = file.Name.EndsWith(".iso", StringComparison.OrdinalIgnoreCase) ? "iso"
                : file.Name.EndsWith(".qcow2", StringComparison.OrdinalIgnoreCase) ? "qcow2"
                : "raw";
        }
    }

    private void NameTyped(string? name)
    {
        _name = name;
        // Clearing the field hands the name back to the next chosen file.
        _nameTyped = !string.IsNullOrEmpty(name);
    }

    private void FormatChosen(string format)
    {
        _format = format;
        _formatChosen = true;
    }

    private async Task StartAsync()
    {
        if (_uploading || _size is null)
        {
            return;
        }

        if (NameProblem is { } problem)
        {
            _error = problem;
            return;
        }

        var token = Antiforgery.GetAntiforgeryToken()?.Value
            ?? throw new InvalidOperationException("No antiforgery token: the page was not rendered by the server.");
        var url = Navigation.ToAbsoluteUri(
            $"api/images/upload?host={Pool.HostId}&pool={Uri.EscapeDataString(Pool.Name)}&name={Uri.EscapeDataString(_name ?? "")}&format={_format}").ToString();
        _self ??= DotNetObjectReference.Create(this);
        _error = null;
        _sent = 0;
        _uploading = true;
        _uploadId = await (await ModuleAsync()).InvokeAsync<int>("start", _input, url, token, _self);
    }

    private async Task CancelUploadAsync()
    {
        if (_uploadId is { } id && _module is not null)
        {
            await _module.InvokeVoidAsync("cancel", id);
        }
    }

    [JSInvokable]
    public Task Progress(long sent) => InvokeAsync(() =>
    {
        _sent = sent;
        StateHasChanged();
    });

    [JSInvokable]
    public Task Finished(int status, string message) => InvokeAsync(() =>
    {
        _uploading = false;
        _uploadId = null;
        if (status is >= 200 and < 300)
        {
            MudDialog.Close(DialogResult.Ok($"Uploaded {_name}."));
            return;
        }

        _sent = 0;
        _error = string.IsNullOrWhiteSpace(message) ? $"The upload failed (HTTP {status}); nothing was kept." : message;
        StateHasChanged();
    });

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                await CancelUploadAsync();
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone; the browser's request went with it and the server cleans up.
            }
        }

        _self?.Dispose();
    }

    internal sealed record ChosenFile(string Name, long Size);
}

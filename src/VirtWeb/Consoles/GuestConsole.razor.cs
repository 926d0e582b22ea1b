using Microsoft.JSInterop;

namespace VirtWeb.Consoles;

/// <summary>
/// A guest's console: its screen through noVNC or its serial port through xterm.js, both behind the ticketed proxy.
/// Whether the guest runs comes from the live store (the <see cref="Guest"/> the page passes down), so a stopped guest
/// is reported as stopped rather than as a broken connection.
/// </summary>
public partial class GuestConsole : IAsyncDisposable
{
    private static readonly (string Label, string Combo)[] Combos =
    [
        ("Ctrl+Alt+F1", "ctrl+alt+f1"),
        ("Ctrl+Alt+F2", "ctrl+alt+f2"),
        ("Ctrl+Alt+F7", "ctrl+alt+f7"),
        ("Ctrl+Alt+Backspace", "ctrl+alt+backspace"),
        ("Alt+Tab", "alt+tab"),
        ("Alt+F4", "alt+f4"),
        ("Ctrl+Esc", "ctrl+esc"),
        ("Super (Windows key)", "super"),
        ("Print Screen", "print"),
    ];

    private ElementReference _screen;
    private IJSObjectReference? _module;
    private IJSObjectReference? _handle;
    private DotNetObjectReference<GuestConsole>? _self;
    private ConsoleKind _kind = ConsoleKind.Graphics;
    private string _state = "idle";
    private string? _message;
    private string? _desktopName;
    private string _scale = "fit";
    private bool _pasting;
    private string? _pasteText;
    private bool _connectOnRender = true;
    private bool? _wasActive;
    private bool _stoppedWhileOpen;

    [Parameter, EditorRequired]
    public Guid HostId { get; set; }

    [Parameter, EditorRequired]
    public Guid Uuid { get; set; }

    /// <summary>The guest's live state; null once it was deleted.</summary>
    [Parameter]
    public GuestState? Guest { get; set; }

    /// <summary>Whether the user's role allows consoles; the server checks again when it issues the ticket.</summary>
    [Parameter]
    public bool CanOpen { get; set; }

    [Parameter]
    public bool FullWindow { get; set; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    private string? Message => Guest switch
    {
        { HostConnected: false } => "The host is disconnected; the console is back when it reconnects.",
        { IsActive: false } => _stoppedWhileOpen ? "The guest stopped, so its console closed. Start it to use the console again." : "The guest is not running. Start it to use its console.",
        _ => _message,
    };

    private string StatusText => _state switch
    {
        "connecting" => "Connecting…",
        "connected" => "Connected",
        "disconnected" => "Disconnected",
        "failed" => "Not connected",
        _ => "Not connected",
    };

    private Color StatusColor => _state switch
    {
        "connected" => Color.Success,
        "connecting" => Color.Info,
        "failed" => Color.Error,
        _ => Color.Default,
    };

    private string ScaleLabel => _scale switch
    {
        "actual" => "Scale: 1:1",
        "remote" => "Scale: resize guest",
        _ => "Scale: fit",
    };

    protected override async Task OnParametersSetAsync()
    {
        var active = Guest is { IsActive: true, HostConnected: true };
        if (_wasActive is null && Guest?.Kind == GuestKind.Container)
        {
            // An LXC console is a pty, serial-like; a container has no screen to show first.
            _kind = ConsoleKind.Serial;
        }
        if (_wasActive == true && !active)
        {
            // The live store says the guest stopped: close our side now instead of waiting for a socket error.
            _stoppedWhileOpen = true;
            await CloseAsync();
            _state = "disconnected";
        }
        else if (_wasActive == false && active)
        {
            _connectOnRender = true;
        }
        _wasActive = active;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_connectOnRender && CanOpen && Guest is { IsActive: true, HostConnected: true })
        {
            _connectOnRender = false;
            await ConnectAsync();
        }
    }

    [JSInvokable]
    public Task OnConsoleState(string state, string? message) =>
        InvokeAsync(() =>
        {
            _state = state;
            _message = message;
            StateHasChanged();
        });

    [JSInvokable]
    public Task OnDesktopName(string name) =>
        InvokeAsync(() =>
        {
            _desktopName = name;
            StateHasChanged();
        });

    private async Task SwitchAsync(ConsoleKind kind)
    {
        if (kind == _kind)
        {
            return;
        }
        _kind = kind;
        await ConnectAsync();
    }

    private async Task ConnectAsync()
    {
        await CloseAsync();
        (_state, _message, _desktopName) = ("connecting", null, null);
        StateHasChanged();
        _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./Consoles/GuestConsole.razor.js");
        _self ??= DotNetObjectReference.Create(this);
        _handle = _kind == ConsoleKind.Graphics
            ? await _module.InvokeAsync<IJSObjectReference?>("openGraphics", _screen, _self, HostId, Uuid, _scale)
            : await _module.InvokeAsync<IJSObjectReference?>("openSerial", _screen, _self, HostId, Uuid);
    }

    private Task CtrlAltDelAsync() => CallAsync("sendCtrlAltDel");

    private Task ComboAsync(string combo) => CallAsync("sendCombo", combo);

    private async Task ScaleAsync(string mode)
    {
        _scale = mode;
        await CallAsync("setScale", mode);
    }

    private Task FullscreenAsync() => CallAsync("fullscreen");

    private async Task PasteAsync()
    {
        if (string.IsNullOrEmpty(_pasteText))
        {
            return;
        }
        // Typed as keystrokes: it reaches any guest, while the VNC clipboard needs an agent inside the guest.
        await CallAsync("typeText", _pasteText);
        (_pasteText, _pasting) = (null, false);
        await CallAsync("focus");
    }

    private async Task CallAsync(string method, params object?[] args)
    {
        if (_handle is not null)
        {
            await _handle.InvokeVoidAsync(method, args);
        }
    }

    private async Task CloseAsync()
    {
        if (_handle is { } handle)
        {
            _handle = null;
            try
            {
                await handle.InvokeVoidAsync("dispose");
                await handle.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone; its socket closed with it.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        try
        {
            if (_module is not null)
            {
                await _module.DisposeAsync();
            }
        }
        catch (JSDisconnectedException)
        {
        }
        _self?.Dispose();
        GC.SuppressFinalize(this);
    }
}

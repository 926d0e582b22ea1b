using System.Diagnostics;
using System.Security;
using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VirtWeb.Access;
using VirtWeb.Hosts;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.UiBenchmarks;

/// <summary>One line of the printed table.</summary>
public sealed record BenchRow(string What, string Value, string Target);

/// <summary>
/// The guest list in Chromium against the real app on Kestrel (a fresh PostgreSQL database, libvirt's test driver on a
/// generated world of its own). Changes are made on the app's own connection to that world, so they arrive as the
/// libvirt events a real hypervisor sends (each test:/// connection has a private copy of its world).
/// </summary>
public sealed class GuestListBench(KestrelVirtWebFactory app, IBrowser browser) : IAsyncDisposable
{
    // Records, in the page, when the state text of the watched guest's row changes: at the DOM change (a
    // MutationObserver runs before the next paint) on the shared wall clock the bench reads too.
    public const string ObserverScript = """
        name => {
            const stateOf = () => {
                for (const row of document.querySelectorAll('[data-testid=guests-table] tbody tr')) {
                    const link = row.querySelector('[data-testid=guest-name]');
                    if (link && link.textContent.trim() === name) {
                        const state = row.querySelector('[data-testid=guest-state] .mud-chip');
                        return state ? state.textContent.trim() : null;
                    }
                }
                return null;
            };
            window.__vw = { changes: [], last: stateOf() };
            new MutationObserver(() => {
                const now = performance.timeOrigin + performance.now();
                const text = stateOf();
                // A row the virtualized table has not drawn yet (null) is no change; the first text seen is the start.
                if (text !== null && window.__vw.last === null) {
                    window.__vw.last = text;
                } else if (text !== null && text !== window.__vw.last) {
                    window.__vw.last = text;
                    window.__vw.changes.push({ text, at: now });
                }
            }).observe(document.querySelector('[data-testid=guests-table]'), { subtree: true, childList: true, characterData: true });
        }
        """;

    private readonly List<IBrowserContext> _contexts = [];

    public static ClaimsPrincipal Admin { get; } =
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "bench"), new Claim(ClaimTypes.Role, Roles.Administrator)], "bench"));

    /// <summary>
    /// Writes a test-driver world with <paramref name="count"/> guests named <paramref name="prefix"/>-00000 on, every
    /// other one running (or none, with <paramref name="allShutOff"/>).
    /// </summary>
    public static string WriteWorld(string prefix, int count, bool allShutOff = false)
    {
        var xml = new StringBuilder("""
            <?xml version="1.0"?>
            <node>
              <cpu><mhz>2400</mhz><model>i686</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>2</threads><active>8</active></cpu>
              <memory>8388608</memory>
            """);
        for (var i = 0; i < count; i++)
        {
            xml.Append($"""
                  <domain type='test'>
                    <name>{SecurityElement.Escape(Name(prefix, i))}</name>
                    <uuid>{Guid.NewGuid()}</uuid>
                    <memory unit='MiB'>256</memory>
                    <vcpu>1</vcpu>
                    <os><type arch='i686'>hvm</type></os>
                    <devices><interface type='network'><source network='default'/><model type='virtio'/></interface></devices>
                    {(i % 2 == 0 && !allShutOff ? "" : "<test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>5</test:runstate>")}
                  </domain>
                """);
        }

        xml.Append("</node>\n");
        return TestWorlds.Write($"bench-{count}", xml.ToString());
    }

    /// <summary>Guest names sort in creation order, so guest 0 is the first row of its world.</summary>
    public static string Name(string prefix, int i) => $"{prefix}-{i:D5}";

    /// <summary>Adds the world as a host and waits until the store holds all its guests.</summary>
    public async Task<Guid> AddWorldAsync(string worldPath, int count)
    {
        var host = await app.WithScopeAsync(services =>
            services.GetRequiredService<HostService>().AddAsync(Admin, new HostInput($"bench-{count}-{Guid.NewGuid():N}"[..20], $"test://{worldPath}")));
        var store = app.Services.GetRequiredService<LiveStateStore>();
        var deadline = Stopwatch.StartNew();
        while (store.Guests.Current(g => g.HostId == host.Id).Count < count)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"The {count}-guest world did not load within 2 minutes.");
            }

            await Task.Delay(50);
        }

        return host.Id;
    }

    /// <summary>
    /// The prerendered guest list as plain HTTP sees it: how long the server takes to render and send it, without the
    /// browser's part (parsing, styles, scripts), to tell the two apart.
    /// </summary>
    public async Task<IReadOnlyList<(double Milliseconds, long Bytes)>> ServerRenderAsync(int loads)
    {
        var client = new BrowserlessClient(new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = app.ServerAddress });
        await client.SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        var results = new List<(double, long)>();
        for (var i = 0; i <= loads; i++)
        {
            var clock = Stopwatch.StartNew();
            var html = await client.Http.GetByteArrayAsync("/guests");
            // The first load pays for compiling the page; it is left out.
            if (i > 0)
            {
                results.Add((clock.Elapsed.TotalMilliseconds, html.Length));
            }
        }

        return results;
    }

    /// <summary>A fresh signed-in browser context; every page of it shares the sign-in cookie.</summary>
    public async Task<IBrowserContext> SignedInContextAsync()
    {
        var context = await browser.NewContextAsync(new() { BaseURL = app.ServerAddress.ToString(), ViewportSize = new() { Width = 1600, Height = 1000 } });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("User name").FillAsync(VirtWebFactory.AdminUserName);
        await page.GetByLabel("Password").FillAsync(VirtWebFactory.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByTestId("start-title").WaitForAsync();
        await page.CloseAsync();
        return context;
    }

    /// <summary>
    /// Suspends and resumes guest 0 <paramref name="changes"/> times in all, one change at a time, and returns each
    /// change's latency from the libvirt call to the row's state text changing in the page, in milliseconds.
    /// </summary>
    public async Task<IReadOnlyList<double>> LatencyAsync(Guid hostId, string name, int changes)
    {
        var context = await SignedInContextAsync();
        var page = await OpenListAsync(context);
        await page.Locator("[data-testid=guests-table] tbody tr", new() { HasText = name }).First.WaitForAsync();
        await page.EvaluateAsync(ObserverScript, name);

        using var domain = Connection(hostId).GetDomainByName(name);
        if (domain.GetState().State != DomainState.Running)
        {
            throw new InvalidOperationException($"{name} should start running.");
        }

        var latencies = new List<double>(changes);
        for (var i = 0; i < changes; i++)
        {
            var seen = await page.EvaluateAsync<int>("window.__vw.changes.length");
            var suspend = i % 2 == 0;
            var before = NowMs();
            if (suspend)
            {
                domain.Suspend();
            }
            else
            {
                domain.Resume();
            }

            var change = await NextChangeAsync(page, seen);
            var expected = suspend ? "Paused" : "Running";
            if (change.Text != expected)
            {
                throw new InvalidOperationException($"Change {i}: the row read '{change.Text}', expected '{expected}'.");
            }

            latencies.Add(change.At - before);
        }

        await page.CloseAsync();
        return latencies;
    }

    /// <summary>Milliseconds from asking for /guests until the first guest rows are on screen, and until the circuit is live.</summary>
    public async Task<(double FirstRows, double Interactive)> LoadAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        var clock = Stopwatch.StartNew();
        await page.GotoAsync("/guests", new() { WaitUntil = WaitUntilState.Commit });
        await page.Locator("[data-testid=guests-table] tbody tr [data-testid=guest-name]").First.WaitForAsync(new() { Timeout = 60_000 });
        var firstRows = clock.Elapsed.TotalMilliseconds;
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 60_000 });
        var interactive = clock.Elapsed.TotalMilliseconds;
        await page.CloseAsync();
        return (firstRows, interactive);
    }

    /// <summary>
    /// Bytes over the Blazor circuit's websocket for one guest's change while the whole list is open: the server's
    /// frames (the render batch) and the browser's (its acknowledgements), per change, over <paramref name="changes"/>.
    /// </summary>
    public async Task<(IReadOnlyList<long> ToBrowser, IReadOnlyList<long> FromBrowser)> BytesPerChangeAsync(Guid hostId, string name, int changes)
    {
        var context = await SignedInContextAsync();
        var page = await context.NewPageAsync();
        long received = 0, sent = 0, lastFrameTicks = Stopwatch.GetTimestamp();
        page.WebSocket += (_, socket) =>
        {
            if (!socket.Url.Contains("_blazor", StringComparison.Ordinal))
            {
                return;
            }

            socket.FrameReceived += (_, frame) =>
            {
                Interlocked.Add(ref received, Size(frame));
                Interlocked.Exchange(ref lastFrameTicks, Stopwatch.GetTimestamp());
            };
            socket.FrameSent += (_, frame) =>
            {
                Interlocked.Add(ref sent, Size(frame));
                Interlocked.Exchange(ref lastFrameTicks, Stopwatch.GetTimestamp());
            };
        };
        await page.GotoAsync("/guests");
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("[data-testid=guests-table] tbody tr", new() { HasText = name }).First.WaitForAsync();
        await page.EvaluateAsync(ObserverScript, name);

        using var domain = Connection(hostId).GetDomainByName(name);
        var toBrowser = new List<long>();
        var fromBrowser = new List<long>();
        for (var i = 0; i < changes; i++)
        {
            await QuietAsync(() => Interlocked.Read(ref lastFrameTicks));
            var (receivedBefore, sentBefore) = (Interlocked.Read(ref received), Interlocked.Read(ref sent));
            var seen = await page.EvaluateAsync<int>("window.__vw.changes.length");
            if (i % 2 == 0)
            {
                domain.Suspend();
            }
            else
            {
                domain.Resume();
            }

            await NextChangeAsync(page, seen);
            await QuietAsync(() => Interlocked.Read(ref lastFrameTicks));
            toBrowser.Add(Interlocked.Read(ref received) - receivedBefore);
            fromBrowser.Add(Interlocked.Read(ref sent) - sentBefore);
        }

        await page.CloseAsync();
        return (toBrowser, fromBrowser);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }
    }

    /// <summary>
    /// The change recorded after the first <paramref name="seen"/>, within 10 s. Polled inside the page: the time is the
    /// observer's, so the polling does not add to it (and WaitForFunction would need eval, which the CSP forbids).
    /// </summary>
    public static Task<ChangeSeen> NextChangeAsync(IPage page, int seen) =>
        page.EvaluateAsync<ChangeSeen>("""
            seen => new Promise((resolve, reject) => {
                const until = Date.now() + 10000;
                const check = () => window.__vw.changes.length > seen ? resolve(window.__vw.changes[seen])
                    : Date.now() > until ? reject(new Error('the row did not change within 10 s')) : setTimeout(check, 5);
                check();
            })
            """, seen);

    public static async Task<IPage> OpenListAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/guests");
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 60_000 });
        return page;
    }

    /// <summary>Waits until no frame has passed for 300 ms (the batch window is 75 ms), at most 10 s.</summary>
    private static async Task QuietAsync(Func<long> lastFrame)
    {
        var deadline = Stopwatch.StartNew();
        while (Stopwatch.GetElapsedTime(lastFrame()) < TimeSpan.FromMilliseconds(300) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(25);
        }
    }

    private static long Size(IWebSocketFrame frame) => frame.Binary?.Length ?? Encoding.UTF8.GetByteCount(frame.Text ?? "");

    public static double NowMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    private LibvirtConnection Connection(Guid hostId) => app.Services.GetRequiredService<IHostConnections>().GetConnection(hostId);

    // Playwright fills results through a parameterless constructor and setters.
    public sealed class ChangeSeen
    {
        public string Text { get; set; } = "";

        public double At { get; set; }
    }
}

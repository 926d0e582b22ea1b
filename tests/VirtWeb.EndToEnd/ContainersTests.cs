using VirtWeb.Containers;
using VirtWeb.Guests;
using VirtWeb.Libvirt;

namespace VirtWeb.EndToEnd;

/// <summary>
/// Issue 23's browser acceptance on the machine's libvirtd with the LXC driver: a real container's console in
/// xterm.js answers with the host's kernel, and an Operator drives it from the UI while a Viewer's guest list and the
/// Operator's own second page follow without a reload. The container is named vwlxc-… and removed in finally.
/// </summary>
public sealed class ContainersTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    private const string LxcUri = "lxc:///";

    private static readonly LocatorAssertionsToContainTextOptions Deadline = new() { Timeout = 30_000 };

    private static readonly ClaimsPrincipal Admin =
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "e2e-root"), new Claim(ClaimTypes.Role, Roles.Administrator)], "test"));

    private readonly string _name = $"vwlxc-e2e-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Container_ConsoleAndLifecycleFromTheUi_ShellAnswersTheHostKernelAndBothPagesFollow()
    {
        Guid? hostId = null;
        IBrowserContext? viewerContext = null;
        try
        {
            hostId = await AddLxcHostAsync();
            var container = await App.WithScopeAsync(services => services.GetRequiredService<ContainerCreationService>()
                .CreateAsync(Admin, new ContainerCreateInput(hostId.Value, _name, ContainerKind.Application, 64, "/bin/sh")));
            var operatorName = VirtWebFactory.UniqueUserName("e2e-lxcop");
            var viewerName = VirtWebFactory.UniqueUserName("e2e-lxcview");
            await App.CreateUserAsync(operatorName, Roles.Operator);
            await App.CreateUserAsync(viewerName, Roles.Viewer);
            await SignInAsync(operatorName, VirtWebFactory.UserPassword);
            viewerContext = await Browser.Browser.NewContextAsync(new() { BaseURL = App.ServerAddress.ToString() });
            var viewer = await viewerContext.NewPageAsync();
            await SignInAsync(viewerName, VirtWebFactory.UserPassword, viewer);
            var viewerRow = await OpenRowAsync(viewer);
            await Expect(viewerRow.GetByTestId("guest-state")).ToContainTextAsync("Running", Deadline);
            await Expect(viewerRow).ToContainTextAsync("Container", Deadline);

            // The console tab of a container opens its pty console in xterm.js; the marker is what the container's
            // shell expands, so seeing it proves the command ran there, on the host's kernel.
            await Page.GotoAsync($"/guests/{hostId}/{container.Uuid}");
            await Page.WaitForInteractiveAsync();
            await Page.GetByRole(AriaRole.Tab, new() { Name = "Console" }).ClickAsync();
            await Expect(Page.GetByTestId("console-status")).ToHaveTextAsync("Connected", new() { Timeout = 30_000 });
            await Page.Locator("[data-testid=console-screen] .xterm").ClickAsync();
            await Page.Keyboard.TypeAsync("echo vwlxc-kernel-$(uname -r)-end");
            await Page.Keyboard.PressAsync("Enter");
            var hostRelease = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            await Expect(Page.Locator("[data-testid=console-screen] .xterm-rows")).ToContainTextAsync($"vwlxc-kernel-{hostRelease}-end", Deadline);

            // Freeze/thaw, stop and start from the guest page: the page itself and the Viewer's list both follow.
            var list = await Page.Context.NewPageAsync();
            var operatorRow = await OpenRowAsync(list);
            foreach (var (action, state) in new[] { ("Pause", "Paused"), ("Resume", "Running"), ("Force off", "Shut off"), ("Start", "Running"), ("Force off", "Shut off") })
            {
                await Page.GetByRole(AriaRole.Button, new() { Name = $"{action} {_name}", Exact = true }).ClickAsync();
                await Expect(Page.GetByTestId("guest-state")).ToContainTextAsync(state, Deadline);
                await Expect(viewerRow.GetByTestId("guest-state")).ToContainTextAsync(state, Deadline);
                await Expect(operatorRow.GetByTestId("guest-state")).ToContainTextAsync(state, Deadline);
                Assert.Equal(state, GuestText.State(DomainStateNow()));
            }

            // A container has no saved state to keep: the button libvirt's LXC driver would refuse is not offered.
            await Page.GetByRole(AriaRole.Button, new() { Name = $"Start {_name}", Exact = true }).ClickAsync();
            await Expect(Page.GetByTestId("guest-state")).ToContainTextAsync("Running", Deadline);
            await Expect(Page.GetByRole(AriaRole.Button, new() { Name = $"Save state and stop {_name}", Exact = true })).ToHaveCountAsync(0);
            await Page.GetByRole(AriaRole.Button, new() { Name = $"Force off {_name}", Exact = true }).ClickAsync();
            await Expect(operatorRow.GetByTestId("guest-state")).ToContainTextAsync("Shut off", Deadline);

            // Delete from the list's row menu: the row goes on both lists and the guest page says it is gone.
            await operatorRow.GetByRole(AriaRole.Button, new() { Name = $"More actions for {_name}", Exact = true }).ClickAsync();
            await list.Locator($"[aria-label='Delete {_name}']").ClickAsync();
            await list.Locator("input[data-testid=delete-confirm], [data-testid=delete-confirm] input").FillAsync(_name);
            await list.GetByTestId("delete-submit").ClickAsync();
            await Expect(operatorRow).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await Expect(viewerRow).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await Expect(Page.GetByTestId("guest-missing")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            Assert.False(await Task.Run(() => GuestLookups.DomainExists(App.Services.GetRequiredService<IHostConnections>().GetConnection(hostId.Value), _name)));
        }
        finally
        {
            if (viewerContext is not null)
            {
                await viewerContext.DisposeAsync();
            }

            await Task.Run(RemoveContainer);
            if (hostId is { } id)
            {
                await App.WithScopeAsync(async services =>
                {
                    await services.GetRequiredService<HostService>().RemoveAsync(Admin, id);
                    return true;
                });
            }
        }
    }

    private async Task<Guid> AddLxcHostAsync()
    {
        var host = await App.WithScopeAsync(services =>
            services.GetRequiredService<HostService>().AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("e2e-lxc"), LxcUri)));
        var store = App.Services.GetRequiredService<LiveStateStore>();
        await Eventually.ValueAsync(() => store.Hosts.Find(host.Id.ToString()), h => h.Connection == HostConnectionState.Connected,
            TimeSpan.FromSeconds(30), "lxc:/// connects (is libvirtd running with the LXC driver?)");
        return host.Id;
    }

    private async Task<ILocator> OpenRowAsync(IPage page)
    {
        await page.GotoAsync("/guests");
        await page.WaitForInteractiveAsync();
        await page.Locator("input[data-testid=guest-search], [data-testid=guest-search] input").FillAsync(_name);
        var row = page.GetByTestId("guests-table").Locator("tbody tr").Filter(new() { HasText = _name });
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        return row;
    }

    private DomainState DomainStateNow()
    {
        using var connection = LibvirtConnection.Open(LxcUri);
        using var domain = connection.GetDomainByName(_name);
        return domain.GetState().State;
    }

    private void RemoveContainer()
    {
        using var connection = LibvirtConnection.Open(LxcUri);
        try
        {
            using var domain = connection.GetDomainByName(_name);
            if (domain.IsActive)
            {
                domain.Destroy();
            }

            domain.Undefine();
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
        }
    }
}

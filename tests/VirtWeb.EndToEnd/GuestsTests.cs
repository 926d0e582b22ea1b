using System.Diagnostics;
using VirtWeb.Libvirt;

namespace VirtWeb.EndToEnd;

/// <summary>
/// Two users in two browser contexts watch one real QEMU guest on qemu:///system: what one does, and what virsh does
/// behind VirtWeb's back, shows on both pages without a reload.
/// </summary>
public sealed class GuestsTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    private const string SystemUri = "qemu:///system";

    // QEMU under TCG on a loaded 2-core machine: starting a process can take seconds.
    private static readonly LocatorAssertionsToContainTextOptions Deadline = new() { Timeout = 30_000 };

    private readonly BrowserFixture _browser = browser;
    private readonly string _name = $"virtweb-e2e-{Guid.NewGuid():N}"[..28];
    private IBrowserContext? _otherContext;
    private LibvirtConnection? _connection;
    private Guid? _hostId;

    [Fact]
    public async Task TwoUsers_OneStartsAGuestThenVirshDestroysIt_BothPagesFollowWithoutReload()
    {
        try
        {
            await WatchStartAndDestroyAsync();
        }
        finally
        {
            await CleanUpAsync();
        }
    }

    private async Task WatchStartAndDestroyAsync()
    {
        await DefineGuestAsync();
        var hostName = await AddQemuHostAsync();
        var operatorName = VirtWebFactory.UniqueUserName("e2e-op");
        var viewerName = VirtWebFactory.UniqueUserName("e2e-view");
        await App.CreateUserAsync(operatorName, Roles.Operator);
        await App.CreateUserAsync(viewerName, Roles.Viewer);

        await SignInAsync(operatorName, VirtWebFactory.UserPassword);
        _otherContext = await _browser.Browser.NewContextAsync(new() { BaseURL = App.ServerAddress.ToString() });
        var viewerPage = await _otherContext.NewPageAsync();
        await SignInOnAsync(viewerPage, viewerName);
        var operatorRow = await OpenGuestRowAsync(Page, hostName);
        var viewerRow = await OpenGuestRowAsync(viewerPage, hostName);
        await Expect(operatorRow.GetByTestId("guest-state")).ToContainTextAsync("Shut off", Deadline);
        await Expect(viewerRow.GetByTestId("guest-state")).ToContainTextAsync("Shut off", Deadline);

        await operatorRow.GetByRole(AriaRole.Button, new() { Name = $"Start {_name}", Exact = true }).ClickAsync();

        await Expect(operatorRow.GetByTestId("guest-state")).ToContainTextAsync("Running", Deadline);
        await Expect(viewerRow.GetByTestId("guest-state")).ToContainTextAsync("Running", Deadline);
        Assert.Equal(DomainState.Running, DomainStateNow());

        await VirshAsync("destroy", _name);

        await Expect(operatorRow.GetByTestId("guest-state")).ToContainTextAsync("Shut off", Deadline);
        await Expect(viewerRow.GetByTestId("guest-state")).ToContainTextAsync("Shut off", Deadline);
        await Expect(viewerRow.GetByTestId("guest-reason")).ToContainTextAsync("forced off", Deadline);
        // The viewer only watched: no action buttons in its row.
        await Expect(viewerRow.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
    }

    private async Task CleanUpAsync()
    {
        if (_otherContext is not null)
        {
            await _otherContext.DisposeAsync();
        }

        if (_hostId is { } hostId)
        {
            await App.WithScopeAsync(async services =>
            {
                await services.GetRequiredService<HostService>().RemoveAsync(Admin, hostId);
                return true;
            });
        }

        if (_connection is not null)
        {
            await Task.Run(() =>
            {
                try
                {
                    using var domain = _connection.GetDomainByName(_name);
                    if (domain.IsActive)
                    {
                        domain.Destroy();
                    }

                    domain.Undefine();
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                {
                }

                _connection.Dispose();
            });
        }
    }

    private static ClaimsPrincipal Admin { get; } =
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "e2e-root"), new Claim(ClaimTypes.Role, Roles.Administrator)], "test"));

    /// <summary>A diskless 64 MiB QEMU guest: SeaBIOS finds nothing to boot and waits, which is all this test needs.</summary>
    private async Task DefineGuestAsync() =>
        await Task.Run(() =>
        {
            _connection = LibvirtConnection.Open(SystemUri);
            using var _ = _connection.DefineDomain($"""
                <domain type='qemu'>
                  <name>{_name}</name>
                  <memory unit='MiB'>64</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
                  <devices>
                    <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
                  </devices>
                </domain>
                """);
        });

    private async Task<string> AddQemuHostAsync()
    {
        var name = VirtWebFactory.UniqueUserName("e2e-qemu");
        var host = await App.WithScopeAsync(services => services.GetRequiredService<HostService>().AddAsync(Admin, new HostInput(name, SystemUri)));
        _hostId = host.Id;
        var store = App.Services.GetRequiredService<LiveStateStore>();
        await Eventually.ValueAsync(
            () => store.Guests.Find($"{host.Id}/{DomainUuid()}"), _ => true, TimeSpan.FromSeconds(30), $"{_name} is listed on qemu:///system (is libvirtd running?)");
        return name;
    }

    private async Task<ILocator> OpenGuestRowAsync(IPage page, string hostName)
    {
        await page.GotoAsync("/guests");
        await page.WaitForInteractiveAsync();
        // MudTextField puts the test id on the <input> itself in this MudBlazor version; either placement is fine.
        await page.Locator("input[data-testid=guest-search], [data-testid=guest-search] input").FillAsync(_name);
        // Another test may watch qemu:///system as a host of its own: the row is this guest on this host.
        var row = page.GetByTestId("guests-table").Locator("tbody tr").Filter(new() { HasText = _name }).Filter(new() { HasText = hostName });
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        return row;
    }

    private static async Task SignInOnAsync(IPage page, string userName)
    {
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(VirtWebFactory.UserPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("start-title")).ToBeVisibleAsync();
        await page.WaitForInteractiveAsync();
    }

    private Guid DomainUuid()
    {
        using var domain = _connection!.GetDomainByName(_name);
        return domain.Uuid;
    }

    private DomainState DomainStateNow()
    {
        using var domain = _connection!.GetDomainByName(_name);
        return domain.GetState().State;
    }

    private static async Task VirshAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("virsh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(SystemUri);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"virsh {string.Join(' ', arguments)} failed: {error}");
    }
}

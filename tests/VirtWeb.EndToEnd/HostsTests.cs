using System.Text.RegularExpressions;
using Microsoft.Playwright;
using VirtWeb.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace VirtWeb.EndToEnd;

[Collection(EndToEndCollection.Name)]
public sealed class HostsTests(KestrelVirtWebFactory app, BrowserFixture browser) : IAsyncLifetime
{
    private IBrowserContext _context = null!;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _context = await browser.Browser.NewContextAsync(new() { BaseURL = app.ServerAddress.ToString() });
        _page = await _context.NewPageAsync();
        await _page.GotoAsync("/Account/Login");
        await _page.GetByLabel("User name").FillAsync(VirtWebFactory.AdminUserName);
        await _page.GetByLabel("Password").FillAsync(VirtWebFactory.AdminPassword);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(_page.GetByTestId("start-title")).ToBeVisibleAsync();
    }

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task AddHost_SecondTestDriver_ShowsConnectedWithCapabilities()
    {
        var name = VirtWebFactory.UniqueUserName("Lab");
        await _page.GotoAsync("/hosts");
        await _page.WaitForInteractiveAsync();
        await _page.GetByTestId("add-host").ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Name").FillAsync(name);
        await dialog.GetByLabel("libvirt URI").FillAsync("test:///default");
        await dialog.GetByTestId("host-save").ClickAsync();

        var row = _page.GetByTestId("hosts-table").GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row.GetByTestId("host-connection")).ToHaveTextAsync("Connected", new() { Timeout = 30_000 });
        await row.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();

        await Expect(_page.GetByTestId("host-title")).ToHaveTextAsync(name);
        await Expect(_page.GetByTestId("host-kind")).ToContainTextAsync("Simulated");
        await Expect(_page.GetByTestId("host-arch")).ToHaveTextAsync("i686");
        await Expect(_page.GetByTestId("host-kvm")).ToContainTextAsync("not usable");
        await Expect(_page.GetByTestId("host-guest-counts")).ToContainTextAsync("running");
    }

    [Fact]
    public async Task AddHost_BogusUri_ShowsTheErrorOnTheFormAndSavesNothing()
    {
        var name = VirtWebFactory.UniqueUserName("Bogus");
        await _page.GotoAsync("/hosts");
        await _page.WaitForInteractiveAsync();
        await _page.GetByTestId("add-host").ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Name").FillAsync(name);
        await dialog.GetByLabel("libvirt URI").FillAsync("bogus://nowhere/at all");
        await dialog.GetByTestId("host-save").ClickAsync();

        await Expect(dialog).ToContainTextAsync("contains spaces");
        await dialog.GetByLabel("libvirt URI").FillAsync("bogus://nowhere/system");
        await dialog.GetByTestId("host-save").ClickAsync();
        await Expect(dialog).ToContainTextAsync(new Regex("Unknown libvirt driver 'bogus'"));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await Expect(_page.GetByTestId("hosts-table")).Not.ToContainTextAsync(name);
    }
}

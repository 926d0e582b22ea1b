using System.Text.RegularExpressions;

namespace VirtWeb.EndToEnd;

public sealed class HostsTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
    }

    [Fact]
    public async Task AddHost_SecondTestDriver_ShowsConnectedWithCapabilities()
    {
        var name = VirtWebFactory.UniqueUserName("Lab");
        await Page.GotoAsync("/hosts");
        await Page.WaitForInteractiveAsync();
        await Page.GetByTestId("add-host").ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Name").FillAsync(name);
        await dialog.GetByLabel("libvirt URI").FillAsync("test:///default");
        await dialog.GetByTestId("host-save").ClickAsync();

        var row = Page.GetByTestId("hosts-table").GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row.GetByTestId("host-connection")).ToHaveTextAsync("Connected", new() { Timeout = 30_000 });
        await row.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();

        await Expect(Page.GetByTestId("host-title")).ToHaveTextAsync(name);
        await Expect(Page.GetByTestId("host-kind")).ToContainTextAsync("Simulated");
        await Expect(Page.GetByTestId("host-arch")).ToHaveTextAsync("i686");
        await Expect(Page.GetByTestId("host-kvm")).ToContainTextAsync("not usable");
        await Expect(Page.GetByTestId("host-guest-counts")).ToContainTextAsync("running");
    }

    [Fact]
    public async Task AddHost_BogusUri_ShowsTheErrorOnTheFormAndSavesNothing()
    {
        var name = VirtWebFactory.UniqueUserName("Bogus");
        await Page.GotoAsync("/hosts");
        await Page.WaitForInteractiveAsync();
        await Page.GetByTestId("add-host").ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Name").FillAsync(name);
        await dialog.GetByLabel("libvirt URI").FillAsync("bogus://nowhere/at all");
        await dialog.GetByTestId("host-save").ClickAsync();

        await Expect(dialog).ToContainTextAsync("contains spaces");
        await dialog.GetByLabel("libvirt URI").FillAsync("bogus://nowhere/system");
        await dialog.GetByTestId("host-save").ClickAsync();
        await Expect(dialog).ToContainTextAsync(new Regex("Unknown libvirt driver 'bogus'"));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await Expect(Page.GetByTestId("hosts-table")).Not.ToContainTextAsync(name);
    }
}

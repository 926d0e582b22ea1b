using VirtWeb.IntegrationTests.Guests;
using VirtWeb.IntegrationTests.Images;

namespace VirtWeb.EndToEnd;

/// <summary>
/// A user with no role of their own and an Operator grant on one host sees that host's guests and pools and nothing
/// else, with actions on them; an Administrator sees both hosts.
/// </summary>
public sealed class GrantsTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    [Fact]
    public async Task OperatorGrantOnOneHost_SeesOnlyThatHostsGuestsAndImages_AdministratorSeesAll()
    {
        var granted = await GuestWorld.AddPrivateHostAsync(App, StorageWorld.Write());
        var other = await GuestWorld.AddPrivateHostAsync(App, StorageWorld.Write());
        var store = App.Services.GetRequiredService<LiveStateStore>();
        var grantedName = store.Hosts.Find(granted.ToString())!.Name;
        var otherName = store.Hosts.Find(other.ToString())!.Name;
        var userName = VirtWebFactory.UniqueUserName("e2e-grant");
        await App.CreateUserAsync(userName);
        await App.Services.GetRequiredService<GrantDirectory>()
            .SetAsync(TestPrincipals.Administrator, userName, AccessPaths.Host(granted), AccessRole.Operator);

        await SignInAsync(userName, VirtWebFactory.UserPassword);
        await Page.GotoAsync("/guests");
        await Page.WaitForInteractiveAsync();
        var rows = Page.GetByTestId("guests-table").Locator("tbody tr").Filter(new() { Has = Page.GetByTestId("guest-name") });
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync(grantedName);
        await Expect(rows.First.GetByTestId("guest-name")).ToContainTextAsync("web1");
        await Expect(rows.First.GetByRole(AriaRole.Button).First).ToBeVisibleAsync();

        await Page.GotoAsync("/images");
        await Page.WaitForInteractiveAsync();
        await Expect(Page.GetByTestId("pool-host")).ToHaveTextAsync([grantedName]);
        await Expect(Page.GetByTestId("new-volume")).ToHaveCountAsync(1);
        Assert.Empty(ConsoleErrors);

        await Page.GetByTestId("sign-out").ClickAsync();
        await Page.WaitForURLAsync(url => !url.Contains("/images", StringComparison.Ordinal));
        await SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        await Page.GotoAsync("/guests");
        await Page.WaitForInteractiveAsync();
        await Page.Locator("input[data-testid=guest-search], [data-testid=guest-search] input").FillAsync("web1");
        await Expect(rows.Filter(new() { HasText = grantedName })).ToHaveCountAsync(1);
        await Expect(rows.Filter(new() { HasText = otherName })).ToHaveCountAsync(1);
        await Page.GotoAsync("/images");
        await Page.WaitForInteractiveAsync();
        await Expect(Page.GetByTestId("pool-host").Filter(new() { HasText = grantedName })).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("pool-host").Filter(new() { HasText = otherName })).ToHaveCountAsync(1);
        await Page.GotoAsync("/access/grants");
        await Page.WaitForInteractiveAsync();
        await Expect(Page.GetByTestId("grants-table").Locator("tbody tr").Filter(new() { HasText = userName })).ToContainTextAsync($"Host {grantedName}");
    }
}

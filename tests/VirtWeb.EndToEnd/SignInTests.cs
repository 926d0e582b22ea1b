using Microsoft.Playwright;
using VirtWeb.Access;
using VirtWeb.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace VirtWeb.EndToEnd;

[Collection(EndToEndCollection.Name)]
public sealed class SignInTests(KestrelVirtWebFactory app, BrowserFixture browser) : IAsyncLifetime
{
    private IBrowserContext _context = null!;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _context = await browser.Browser.NewContextAsync(new() { BaseURL = app.ServerAddress.ToString() });
        _page = await _context.NewPageAsync();
    }

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task Administrator_SignsIn_SeesStartPageAndRole_ThenSignsOut()
    {
        await _page.GotoAsync("/");
        await Expect(_page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));

        await SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);

        await Expect(_page.GetByTestId("start-title")).ToHaveTextAsync("Welcome to VirtWeb");
        await Expect(_page.GetByTestId("current-user")).ToHaveTextAsync(VirtWebFactory.AdminUserName);
        await Expect(_page.GetByTestId("current-role")).ToContainTextAsync(Roles.Administrator);
        await Expect(_page.GetByTestId("nav-menu").GetByText("Users")).ToBeVisibleAsync();

        await _page.GetByTestId("sign-out").ClickAsync();

        await Expect(_page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
        await _page.GotoAsync("/");
        await Expect(_page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
    }

    [Fact]
    public async Task Viewer_SignsIn_SeesNoAdministration()
    {
        var userName = VirtWebFactory.UniqueUserName("viewer");
        await app.CreateUserAsync(userName, Roles.Viewer);
        await _page.GotoAsync("/Account/Login");

        await SignInAsync(userName, VirtWebFactory.UserPassword);

        await Expect(_page.GetByTestId("current-role")).ToContainTextAsync(Roles.Viewer);
        await Expect(_page.GetByTestId("nav-menu").GetByText("Account settings")).ToBeVisibleAsync();
        await Expect(_page.GetByTestId("nav-menu").GetByText("Users")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task DarkMode_Toggled_IsRememberedAfterReload()
    {
        var userName = VirtWebFactory.UniqueUserName("night");
        await app.CreateUserAsync(userName, Roles.Operator);
        await _page.GotoAsync("/Account/Login");
        await SignInAsync(userName, VirtWebFactory.UserPassword);
        await _page.WaitForInteractiveAsync();
        var before = await SurfaceColourAsync();

        await _page.GetByTestId("toggle-dark-mode").ClickAsync();
        await _page.WaitForFunctionAsync($"colour => ({SurfaceColourScript})() !== colour", before);
        var toggled = await SurfaceColourAsync();
        await _page.ReloadAsync();

        await Expect(_page.GetByTestId("start-title")).ToBeVisibleAsync();
        await _page.WaitForFunctionAsync($"colour => ({SurfaceColourScript})() === colour", toggled);
    }

    private async Task SignInAsync(string userName, string password)
    {
        await _page.GetByLabel("User name").FillAsync(userName);
        await _page.GetByLabel("Password").FillAsync(password);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    private const string SurfaceColourScript =
        "() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-surface').trim()";

    private Task<string> SurfaceColourAsync() => _page.EvaluateAsync<string>(SurfaceColourScript);
}

namespace VirtWeb.EndToEnd;

public sealed class SignInTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    [Fact]
    public async Task Administrator_SignsIn_SeesStartPageAndRole_ThenSignsOut()
    {
        await Page.GotoAsync("/");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));

        await SubmitSignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);

        await Expect(Page.GetByTestId("start-title")).ToHaveTextAsync("Welcome to VirtWeb");
        await Expect(Page.GetByTestId("current-user")).ToHaveTextAsync(VirtWebFactory.AdminUserName);
        await Expect(Page.GetByTestId("current-role")).ToContainTextAsync(Roles.Administrator);
        await Expect(Page.GetByTestId("nav-menu").GetByText("Users")).ToBeVisibleAsync();
        await Page.WaitForInteractiveAsync();
        Assert.DoesNotContain(ConsoleErrors, error => error.Contains("Content Security Policy", StringComparison.Ordinal));

        await Page.GetByTestId("sign-out").ClickAsync();

        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
        await Page.GotoAsync("/");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
    }

    [Fact]
    public async Task Viewer_SignsIn_SeesNoAdministration()
    {
        var userName = VirtWebFactory.UniqueUserName("viewer");
        await App.CreateUserAsync(userName, Roles.Viewer);

        await SignInAsync(userName, VirtWebFactory.UserPassword);

        await Expect(Page.GetByTestId("current-role")).ToContainTextAsync(Roles.Viewer);
        await Expect(Page.GetByTestId("nav-menu").GetByText("Account settings")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("nav-menu").GetByText("Users")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task DarkMode_Toggled_IsRememberedAfterReload()
    {
        var userName = VirtWebFactory.UniqueUserName("night");
        await App.CreateUserAsync(userName, Roles.Operator);
        await SignInAsync(userName, VirtWebFactory.UserPassword);
        var before = await SurfaceColourAsync();

        await Page.GetByTestId("toggle-dark-mode").ClickAsync();
        await Page.WaitForFunctionAsync($"colour => ({SurfaceColourScript})() !== colour", before);
        var toggled = await SurfaceColourAsync();
        await Page.ReloadAsync();

        await Expect(Page.GetByTestId("start-title")).ToBeVisibleAsync();
        await Page.WaitForFunctionAsync($"colour => ({SurfaceColourScript})() === colour", toggled);
    }

    private const string SurfaceColourScript =
        "() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-surface').trim()";

    private Task<string> SurfaceColourAsync() => Page.EvaluateAsync<string>(SurfaceColourScript);
}

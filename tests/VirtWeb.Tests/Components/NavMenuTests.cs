using VirtWeb.Components.Layout;

namespace VirtWeb.Tests.Components;

public sealed class NavMenuTests : ComponentTest
{
    [Fact]
    public void NavMenu_Administrator_ShowsAdministrationAndUsers()
    {
        Context.SignInAs("root", Roles.Administrator);

        var menu = Context.Render<NavMenu>();

        menu.WaitForAssertion(() =>
        {
            Assert.Equal(["Start", "Hosts", "Guests", "Images", "Networks", "Machine IDs", "Templates", "Users", "Access grants", "Audit trail", "Open consoles", "Account settings"], LinkTexts(menu));
            Assert.Contains("Administration", menu.Markup);
        });
    }

    [Theory]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.Viewer)]
    public void NavMenu_NotAdministrator_HidesAdministration(string role)
    {
        Context.SignInAs("someone", role);

        var menu = Context.Render<NavMenu>();

        menu.WaitForAssertion(() =>
        {
            Assert.Equal(["Start", "Hosts", "Guests", "Images", "Networks", "Machine IDs", "Templates", "Account settings"], LinkTexts(menu));
            Assert.DoesNotContain("Administration", menu.Markup);
        });
    }

    [Fact]
    public void NavMenu_OnlyLinksToPagesThatExist()
    {
        Context.SignInAs("root", Roles.Administrator);
        var routes = typeof(Program).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes(typeof(Microsoft.AspNetCore.Components.RouteAttribute), inherit: false))
            .Cast<Microsoft.AspNetCore.Components.RouteAttribute>()
            .Select(r => r.Template.Trim('/').ToLowerInvariant())
            .ToHashSet();

        var menu = Context.Render<NavMenu>();

        var hrefs = menu.FindAll("a").Select(a => (a.GetAttribute("href") ?? "").Trim('/').ToLowerInvariant()).ToList();
        Assert.NotEmpty(hrefs);
        Assert.All(hrefs, href => Assert.Contains(href, routes));
    }

    private static List<string> LinkTexts(IRenderedComponent<NavMenu> menu) =>
        menu.FindAll("a").Select(a => a.TextContent.Trim()).ToList();
}

using VirtWeb.Components.Pages;

namespace VirtWeb.Tests.Components;

public sealed class HomeTests : ComponentTest
{
    [Theory]
    [InlineData(Roles.Administrator, "an Administrator")]
    [InlineData(Roles.Operator, "an Operator")]
    [InlineData(Roles.Viewer, "a Viewer")]
    public void Home_SignedIn_NamesTheUserAndRole(string role, string expected)
    {
        Context.SignInAs("carol", role);

        var home = Context.Render<Home>();

        home.WaitForAssertion(() =>
        {
            Assert.Contains("carol", home.Markup);
            Assert.Contains(expected, home.Markup);
        });
    }

    [Fact]
    public void Home_Viewer_DoesNotOfferTheUsersPage()
    {
        Context.SignInAs("vera", Roles.Viewer);

        var home = Context.Render<Home>();

        home.WaitForAssertion(() => Assert.Empty(home.FindAll("a[href='access/users']")));
    }

    [Fact]
    public void Home_Administrator_OffersTheUsersPage()
    {
        Context.SignInAs("root", Roles.Administrator);

        var home = Context.Render<Home>();

        home.WaitForAssertion(() => Assert.Single(home.FindAll("a[href='access/users']")));
    }
}

using MudBlazor;

namespace VirtWeb.Tests.Guests;

public sealed class GuestRowMenuTests : GuestListPageTest
{
    [Fact]
    public void GuestRow_MoreActionsClicked_GivesThatRowItsMenu()
    {
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Guests, Guest("web", DomainState.Running), Guest("db", DomainState.Shutoff));
        var page = RenderList();
        page.WaitForAssertion(() => Assert.Equal(2, RowNames(page).Count));
        Assert.Empty(page.FindComponents<MudMenu>());

        page.Find("button[aria-label='More actions for web']").Click();

        page.WaitForAssertion(() =>
        {
            var menu = Assert.Single(page.FindComponents<MudMenu>());
            Assert.Contains("More actions for web", menu.Markup, StringComparison.Ordinal);
        });
    }
}

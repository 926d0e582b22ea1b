namespace VirtWeb.Tests.Guests;

/// <summary>The list sorts on the server (the table's labels only say which way); search filters that order.</summary>
public sealed class GuestListSortTests : GuestListPageTest
{
    [Fact]
    public void GuestList_HostHeaderClickedTwice_RowsByHostThenReversedAndSearchKeepsTheOrder()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Upsert(Store.Guests,
            Guest("a-web", DomainState.Running) with { HostName = "gamma" },
            Guest("b-web", DomainState.Running) with { HostName = "alpha" },
            Guest("c-db", DomainState.Running) with { HostName = "beta" });
        var page = RenderList();
        page.WaitForAssertion(() => Assert.Equal(["a-web", "b-web", "c-db"], RowNames(page)));

        SortLabel(page, "Host").Click();
        page.WaitForAssertion(() => Assert.Equal(["b-web", "c-db", "a-web"], RowNames(page)));
        SortLabel(page, "Host").Click();
        page.WaitForAssertion(() => Assert.Equal(["a-web", "c-db", "b-web"], RowNames(page)));

        page.Find("input[data-testid=guest-search], [data-testid=guest-search] input").Input("web");
        page.WaitForAssertion(() => Assert.Equal(["a-web", "b-web"], RowNames(page)));
    }

    private static AngleSharp.Dom.IElement SortLabel(IRenderedComponent<GuestList> page, string header) =>
        page.FindAll(".mud-table-sort-label").First(label => label.TextContent.Trim() == header);
}

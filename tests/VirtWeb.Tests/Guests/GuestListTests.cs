namespace VirtWeb.Tests.Guests;

public sealed class GuestListTests : GuestListPageTest
{
    [Fact]
    public void GuestList_SnapshotThenUpsertsAndDeletes_ShowsEveryChangeWithoutReload()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var web = Guest("web", DomainState.Running);
        Upsert(Store.Guests, web);

        var page = RenderList();
        page.WaitForAssertion(() => Assert.Equal(["web"], RowNames(page)));

        Upsert(Store.Guests, Guest("db", DomainState.Shutoff));
        page.WaitForAssertion(() => Assert.Equal(["db", "web"], RowNames(page)));

        Upsert(Store.Guests, web with { State = DomainState.Paused, Reason = "paused by user" });
        page.WaitForAssertion(() => Assert.Contains("Paused", StateOf(page, "web")));

        Store.Guests.Remove(web.Key, Store.NextVersion());
        page.WaitForAssertion(() => Assert.Equal(["db"], RowNames(page)));
    }

    [Fact]
    public void GuestList_OneGuestChanges_OnlyItsRowRenders()
    {
        Context.SignInAs("olga", Roles.Operator);
        var guests = Enumerable.Range(0, 20).Select(i => Guest($"g{i:00}", DomainState.Running)).ToList();
        Upsert(Store.Guests, [.. guests]);

        var page = RenderList();
        page.WaitForAssertion(() => Assert.Equal(20, page.FindComponents<GuestRow>().Count));
        var before = page.FindComponents<GuestRow>().ToDictionary(r => r.Instance.Guest.Name, r => (r.Instance, r.Instance.Renders));

        Upsert(Store.Guests, guests[7] with { State = DomainState.Shutoff, Reason = "forced off" });

        page.WaitForAssertion(() => Assert.Contains("Shut off", StateOf(page, "g07")));
        // A row counts as rendered again when its component rendered, or was replaced by a new one.
        var after = page.FindComponents<GuestRow>().ToDictionary(r => r.Instance.Guest.Name, r => (r.Instance, r.Instance.Renders));
        var rerendered = after
            .Where(a => !ReferenceEquals(a.Value.Instance, before[a.Key].Instance) || a.Value.Renders != before[a.Key].Renders)
            .Select(a => a.Key).ToList();
        Assert.Equal(["g07"], rerendered);
    }

    [Fact]
    public void GuestList_Prerendered_SendsTheFirstRowsWithoutVirtualization()
    {
        Renderer = new("Static", isInteractive: false);
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Guests, [.. Enumerable.Range(0, 100).Select(i => Guest($"g{i:000}", DomainState.Running))]);

        var page = RenderList();

        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"g{i:000}"), RowNames(page));
        // Nothing can be clicked before the circuit is up: the rows come without their buttons and checkboxes.
        Assert.Empty(page.Find("[data-testid=guests-table]").QuerySelectorAll("button, input[type=checkbox]"));
    }

    [Fact]
    public void GuestList_ChangeWhileSortedByName_OnlyThatRowRendersAndTheListDoesNot()
    {
        Context.SignInAs("olga", Roles.Operator);
        var guests = Enumerable.Range(0, 20).Select(i => Guest($"g{i:00}", DomainState.Running)).ToList();
        Upsert(Store.Guests, [.. guests]);
        var page = RenderList();
        page.WaitForAssertion(() => Assert.Equal(20, page.FindComponents<GuestRow>().Count));
        var listRenders = page.Instance.Renders;

        Upsert(Store.Guests, guests[3] with { State = DomainState.Paused, Reason = "paused by user" });

        page.WaitForAssertion(() => Assert.Contains("Paused", StateOf(page, "g03")));
        Assert.Equal(listRenders, page.Instance.Renders);
        Store.Guests.Remove(guests[5].Key, Store.NextVersion());
        page.WaitForAssertion(() => Assert.Equal(19, RowNames(page).Count));
        Assert.Contains("Paused", StateOf(page, "g03"));
    }

    [Fact]
    public void GuestList_Viewer_SeesNoActionButtonsOrSelection()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Upsert(Store.Guests, Guest("web", DomainState.Running), Guest("db", DomainState.Shutoff));

        var page = RenderList();

        page.WaitForAssertion(() =>
        {
            Assert.Equal(2, RowNames(page).Count);
            Assert.Empty(page.FindAll("[data-testid=guests-table] tbody button"));
            Assert.Empty(page.FindAll("[data-testid=guests-table] input[type=checkbox]"));
            Assert.Empty(page.FindAll("[data-testid=create-guest]"));
        });
    }

    [Fact]
    public void GuestList_Operator_SeesActionsThatFitTheState()
    {
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Guests, Guest("web", DomainState.Running), Guest("db", DomainState.Shutoff));

        var page = RenderList();

        page.WaitForAssertion(() =>
        {
            Assert.Single(page.FindAll("button[aria-label='Shut down web']:not([hidden])"));
            Assert.Single(page.FindAll("button[aria-label='Force off web']:not([hidden])"));
            Assert.Empty(page.FindAll("button[aria-label='Start web']:not([hidden])"));
            Assert.Single(page.FindAll("button[aria-label='Start db']:not([hidden])"));
        });
    }

    [Fact]
    public void GuestList_SearchAndStateFilter_NarrowTheRows()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Upsert(Store.Guests, Guest("web-1", DomainState.Running), Guest("web-2", DomainState.Shutoff), Guest("db", DomainState.Running));
        var page = RenderList();
        page.WaitForAssertion(() => Assert.Equal(3, RowNames(page).Count));

        page.Find("input[data-testid=guest-search], [data-testid=guest-search] input").Input("web");

        page.WaitForAssertion(() => Assert.Equal(["web-1", "web-2"], RowNames(page)));
    }

    [Fact]
    public void GuestList_HostDisconnected_SaysSoAndShowsUnknown()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Upsert(Store.Hosts, new VirtWeb.Hosts.HostState(HostId, "alpha", "test:///default", VirtWeb.Hosts.HostConnectionState.Disconnected, DateTimeOffset.UtcNow, "libvirt closed the connection"));
        Upsert(Store.Guests, Guest("web", DomainState.Running) with { HostConnected = false });

        var page = RenderList();

        page.WaitForAssertion(() =>
        {
            Assert.Contains("libvirt closed the connection", page.Find("[data-testid=host-down]").TextContent);
            Assert.Contains("Unknown", StateOf(page, "web"));
        });
    }
}

namespace VirtWeb.Tests.Guests;

public sealed class GuestDetailsPageTests : ComponentTest
{
    [Fact]
    public void GuestPage_ViewerWithTimeline_ShowsStateAndEventsButNoActionsOrEdit()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var store = Context.Services.GetRequiredService<LiveStateStore>();
        var guest = new GuestState(Guid.NewGuid(), "alpha", Guid.NewGuid(), "web", DomainState.Running, "booted", 2, 262144, 262144,
            VirtualizationMode.Hybrid, GuestKind.VirtualMachine, false, true, false, false, DateTimeOffset.UtcNow, false, [], HostConnected: false);
        store.Guests.Upsert(guest, store.NextVersion());
        Context.Services.GetRequiredService<GuestTimeline>().Add(guest.Key, "started (booted)");

        var page = Context.Render<GuestDetailsPage>(p => p.Add(x => x.HostId, guest.HostId).Add(x => x.Uuid, guest.Uuid));

        page.WaitForAssertion(() =>
        {
            Assert.Equal("web", page.Find("[data-testid=guest-title]").TextContent);
            Assert.Contains("Unknown", page.Find("[data-testid=guest-state]").TextContent);
            Assert.Empty(page.FindAll("button[aria-label^='Force off']"));
            Assert.Empty(page.FindAll("[data-testid=guest-xml-edit]"));
        });
    }

    [Fact]
    public void GuestPage_UnknownGuest_SaysSo()
    {
        Context.SignInAs("vera", Roles.Viewer);

        var page = Context.Render<GuestDetailsPage>(p => p.Add(x => x.HostId, Guid.NewGuid()).Add(x => x.Uuid, Guid.NewGuid()));

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=guest-missing]")));
    }

    [Fact]
    public void LineDiff_ChangedLine_ShowsRemovedAndAdded()
    {
        var diff = LineDiff.Compute("a\nb\nc", "a\nB\nc\nd");

        Assert.Equal(
            [(DiffKind.Same, "a"), (DiffKind.Removed, "b"), (DiffKind.Added, "B"), (DiffKind.Same, "c"), (DiffKind.Added, "d")],
            diff.Select(l => (l.Kind, l.Text)).ToList());
    }
}

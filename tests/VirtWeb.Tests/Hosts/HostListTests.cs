namespace VirtWeb.Tests.Hosts;

public sealed class HostListTests : ComponentTest
{
    private LiveStateStore Store => Context.Services.GetRequiredService<LiveStateStore>();

    [Fact]
    public void HostList_SnapshotThenUpsertsAndDeletes_ShowsEveryChangeWithoutReload()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var first = Host("alpha", HostConnectionState.Connected);
        Store.Hosts.Upsert(first, Store.NextVersion());

        var page = Context.Render<HostList>();
        page.WaitForAssertion(() => Assert.Equal(["alpha"], RowNames(page)));

        Store.Hosts.Upsert(Host("beta", HostConnectionState.Connecting), Store.NextVersion());
        page.WaitForAssertion(() => Assert.Equal(["alpha", "beta"], RowNames(page)));

        Store.Hosts.Upsert(first with { Connection = HostConnectionState.Disconnected, Reason = "libvirt closed the connection" }, Store.NextVersion());
        page.WaitForAssertion(() => Assert.Contains("libvirt closed the connection", page.Find("[data-testid=host-reason]").TextContent));

        Store.Hosts.Remove(first.Key, Store.NextVersion());
        page.WaitForAssertion(() => Assert.Equal(["beta"], RowNames(page)));
    }

    [Fact]
    public void HostList_DisconnectedWithNextAttempt_CountsDown()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var now = DateTimeOffset.UtcNow;
        Store.Hosts.Upsert(Host("down", HostConnectionState.Disconnected) with { Reason = "refused", NextAttemptAt = now.AddSeconds(20) }, Store.NextVersion());

        var page = Context.Render<HostList>();

        page.WaitForAssertion(() => Assert.Matches(@"Reconnecting in \d+ s", page.Find("[data-testid=host-reason]").TextContent));
    }

    [Fact]
    public void HostList_StoredUriRefusedByPolicy_ShowsItAndWhatToChange()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Store.Hosts.Upsert(Host("legacy", HostConnectionState.RefusedByPolicy) with { Reason = "The parameter 'command' names a program; remove it." }, Store.NextVersion());

        var page = Context.Render<HostList>();

        page.WaitForAssertion(() =>
        {
            Assert.Equal("Refused by policy", page.Find("[data-testid=host-connection]").TextContent.Trim());
            Assert.Contains("The parameter 'command' names a program; remove it.", page.Find("[data-testid=host-reason]").TextContent);
        });
    }

    [Fact]
    public void HostList_Viewer_SeesNoAddEditOrRemove()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Store.Hosts.Upsert(Host("alpha", HostConnectionState.Connected), Store.NextVersion());

        var page = Context.Render<HostList>();

        page.WaitForAssertion(() =>
        {
            Assert.Single(RowNames(page));
            Assert.Empty(page.FindAll("[data-testid=add-host]"));
            Assert.Empty(page.FindAll("button[aria-label^='Edit']"));
            Assert.Empty(page.FindAll("button[aria-label^='Remove']"));
        });
    }

    [Fact]
    public void HostList_Administrator_SeesAddEditAndRemove()
    {
        Context.SignInAs("root", Roles.Administrator);
        Store.Hosts.Upsert(Host("alpha", HostConnectionState.Connected), Store.NextVersion());

        var page = Context.Render<HostList>();

        page.WaitForAssertion(() =>
        {
            Assert.Single(page.FindAll("[data-testid=add-host]"));
            Assert.Single(page.FindAll("button[aria-label='Edit alpha']"));
            Assert.Single(page.FindAll("button[aria-label='Remove alpha']"));
        });
    }

    private static HostState Host(string name, HostConnectionState connection) =>
        new(Guid.NewGuid(), name, "test:///default", connection, DateTimeOffset.UtcNow);

    private static List<string> RowNames(IRenderedComponent<HostList> page) =>
        page.FindAll("[data-testid=hosts-table] tbody tr td:first-child").Select(td => td.TextContent.Trim()).ToList();
}

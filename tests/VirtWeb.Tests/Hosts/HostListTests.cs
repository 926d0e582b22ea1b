namespace VirtWeb.Tests.Hosts;

public sealed class HostListTests : ComponentTest
{
    [Fact]
    public void HostList_SnapshotThenUpsertsAndDeletes_ShowsEveryChangeWithoutReload()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var first = Host("alpha", HostConnectionState.Connected);
        Upsert(Store.Hosts, first);

        var page = Context.Render<HostList>();
        page.WaitForAssertion(() => Assert.Equal(["alpha"], RowNames(page)));

        Upsert(Store.Hosts, Host("beta", HostConnectionState.Connecting));
        page.WaitForAssertion(() => Assert.Equal(["alpha", "beta"], RowNames(page)));

        Upsert(Store.Hosts, first with { Connection = HostConnectionState.Disconnected, Reason = "libvirt closed the connection" });
        page.WaitForAssertion(() => Assert.Contains("libvirt closed the connection", page.Find("[data-testid=host-reason]").TextContent));

        Store.Hosts.Remove(first.Key, Store.NextVersion());
        page.WaitForAssertion(() => Assert.Equal(["beta"], RowNames(page)));
    }

    [Fact]
    public void HostList_DisconnectedWithNextAttempt_CountsDown()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var now = DateTimeOffset.UtcNow;
        Upsert(Store.Hosts, Host("down", HostConnectionState.Disconnected) with { Reason = "refused", NextAttemptAt = now.AddSeconds(20) });

        var page = Context.Render<HostList>();

        page.WaitForAssertion(() => Assert.Matches(@"Reconnecting in \d+ s", page.Find("[data-testid=host-reason]").TextContent));
    }

    [Fact]
    public void HostList_StoredUriRefusedByPolicy_ShowsItAndWhatToChange()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Upsert(Store.Hosts, Host("legacy", HostConnectionState.RefusedByPolicy) with { Reason = "The parameter 'command' names a program; remove it." });

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
        Upsert(Store.Hosts, Host("alpha", HostConnectionState.Connected));

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
        Upsert(Store.Hosts, Host("alpha", HostConnectionState.Connected));

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

using VirtWeb.Tests.Guests;
using VirtWeb.Usage;

namespace VirtWeb.Tests.Usage;

/// <summary>The guest list's CPU and memory columns: live numbers, "not reported", a sparkline, and a sort by CPU.</summary>
public sealed class GuestListUsageTests : GuestListPageTest
{
    private UsageLive Usage => Context.Services.GetRequiredService<UsageLive>();

    private static GuestUsage Sample(GuestState guest, double? cpu, ulong? usedKiB) =>
        new(guest.HostId, guest.Uuid, guest.Name, DateTimeOffset.UtcNow, cpu, cpu / 4, usedKiB, 262144, 0, 0, 0, 0, 0, 0);

    private void Round(params GuestUsage[] guests)
    {
        Usage.AppendTrails(HostId, guests);
        Usage.Guests.Replace(guests, Store.NextVersion(), u => u.HostId == HostId);
    }

    [Fact]
    public void GuestList_UsageArrives_CpuAndMemoryShownAndMissingBalloonIsNotReported()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var web = Guest("web", DomainState.Running);
        var db = Guest("db", DomainState.Running);
        var off = Guest("off", DomainState.Shutoff);
        Upsert(Store.Guests, web, db, off);
        var page = RenderList();

        Round(Sample(web, 37.4, 131072), Sample(db, 5, null));

        page.WaitForAssertion(() =>
        {
            Assert.Equal("37 %", Cell(page, "web", "guest-cpu"));
            Assert.Equal("128 MiB (50 %)", Cell(page, "web", "guest-memory-used"));
            Assert.Equal(UsageText.NotReported, Cell(page, "db", "guest-memory-used"));
            Assert.Equal("", Cell(page, "off", "guest-cpu"));
            Assert.Equal("", Cell(page, "off", "guest-memory-used"));
        });
    }

    [Fact]
    public void GuestList_CpuHeaderClickedTwice_HottestGuestFirstAndStoppedLast()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var cool = Guest("a-cool", DomainState.Running);
        var hot = Guest("b-hot", DomainState.Running);
        var off = Guest("c-off", DomainState.Shutoff);
        var warm = Guest("d-warm", DomainState.Running);
        Upsert(Store.Guests, cool, hot, off, warm);
        var page = RenderList();
        Round(Sample(cool, 2, null), Sample(hot, 96, null), Sample(warm, 40, null));
        page.WaitForAssertion(() => Assert.Equal("96 %", Cell(page, "b-hot", "guest-cpu")));

        page.FindAll(".mud-table-sort-label").First(l => l.TextContent.Trim() == "CPU").Click();
        page.WaitForAssertion(() => Assert.Equal(["c-off", "a-cool", "d-warm", "b-hot"], RowNames(page)));
        page.FindAll(".mud-table-sort-label").First(l => l.TextContent.Trim() == "CPU").Click();
        page.WaitForAssertion(() => Assert.Equal(["b-hot", "d-warm", "a-cool", "c-off"], RowNames(page)));

        // Sorted by CPU, a new round reorders the list: the cool guest heats up.
        Round(Sample(cool, 99, null), Sample(hot, 50, null), Sample(warm, 40, null));
        page.WaitForAssertion(() => Assert.Equal(["a-cool", "b-hot", "d-warm", "c-off"], RowNames(page)));
    }

    [Fact]
    public void GuestList_SeveralRounds_SparklineIsOnePolylinePerRunWithAGapForAMissingRound()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var web = Guest("web", DomainState.Running);
        Upsert(Store.Guests, web);
        var page = RenderList();

        Round(Sample(web, 10, null));
        Round(Sample(web, 20, null));
        Round(Sample(web, null, null)); // a counter reset: no number for this round
        Round(Sample(web, 80, null));
        Round(Sample(web, 90, null));

        page.WaitForAssertion(() =>
        {
            var lines = page.FindAll("[data-testid=guest-sparkline] polyline");
            Assert.Equal(2, lines.Count);
            Assert.Equal(2, lines[0].GetAttribute("points")!.Split(' ').Length);
            Assert.Equal(2, lines[1].GetAttribute("points")!.Split(' ').Length);
        });
    }

    [Fact]
    public async Task GuestList_Rendered_WatchesTheGuestsOnScreenUntilDisposed()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var web = Guest("web", DomainState.Running);
        Upsert(Store.Guests, web);
        var watch = Context.Services.GetRequiredService<UsageWatch>();
        var page = RenderList();

        page.WaitForAssertion(() => Assert.Equal([web.Uuid], watch.WatchedOn(HostId)));
        await Context.DisposeComponentsAsync();
        Assert.Empty(watch.WatchedOn(HostId));
    }

    private static string Cell(IRenderedComponent<GuestList> page, string name, string testId) =>
        page.FindAll("[data-testid=guests-table] tbody tr")
            .First(tr => tr.QuerySelector("[data-testid=guest-name]")?.TextContent.Trim() == name)
            .QuerySelector($"[data-testid={testId}]")!.TextContent.Trim().Split('\n')[0].Trim();
}

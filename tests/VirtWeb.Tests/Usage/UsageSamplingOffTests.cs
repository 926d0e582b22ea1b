using Microsoft.Extensions.Options;
using VirtWeb.Tests.Guests;
using VirtWeb.Usage;

namespace VirtWeb.Tests.Usage;

/// <summary>With Usage:Enabled false the pages say that sampling is off instead of showing empty or stale numbers.</summary>
public sealed class UsageSamplingOffTests : GuestListPageTest
{
    // bUnit takes no services once one was resolved, so every test turns sampling off first.
    private void TurnSamplingOff() => Context.Services.Configure<UsageOptions>(o => o.Enabled = false);

    [Fact]
    public void GuestList_SamplingOff_UsageCellsSaySamplingOffAndDoNotSortOrWatch()
    {
        TurnSamplingOff();
        Context.SignInAs("vera", Roles.Viewer);
        var web = Guest("web", DomainState.Running);
        var off = Guest("off", DomainState.Shutoff);
        Upsert(Store.Guests, web, off);
        // Even a number that reached the live usage (it cannot without a sampler) is not shown as if sampled now.
        var usage = Context.Services.GetRequiredService<UsageLive>();
        usage.Guests.Upsert(new GuestUsage(HostId, web.Uuid, web.Name, DateTimeOffset.UtcNow, 37, 9, 131072, 262144, 0, 0, 0, 0, 0, 0), Store.NextVersion());

        var page = RenderList();

        page.WaitForAssertion(() =>
        {
            foreach (var name in new[] { "web", "off" })
            {
                var row = page.FindAll("[data-testid=guests-table] tbody tr").First(tr => tr.QuerySelector("[data-testid=guest-name]")?.TextContent.Trim() == name);
                Assert.Equal(UsageText.SamplingOff, row.QuerySelector("[data-testid=guest-cpu]")!.TextContent.Trim());
                Assert.Equal(UsageText.SamplingOff, row.QuerySelector("[data-testid=guest-memory-used]")!.TextContent.Trim());
            }
        });
        Assert.Empty(page.FindAll("[data-testid=guest-sparkline]"));
        Assert.Empty(page.FindAll("[data-testid=sort-cpu]"));
        Assert.Empty(page.FindAll("[data-testid=sort-memory-used]"));
        Assert.NotEmpty(page.FindAll(".mud-table-sort-label")); // the other columns still sort
        Assert.Empty(Context.Services.GetRequiredService<UsageWatch>().WatchedOn(HostId));
    }

    [Fact]
    public void GuestList_SamplingOn_UsageCellsHaveNoSamplingOffText()
    {
        Context.SignInAs("vera", Roles.Viewer);
        Upsert(Store.Guests, Guest("web", DomainState.Running));

        var page = RenderList();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=sort-cpu]")));
        Assert.DoesNotContain(UsageText.SamplingOff, page.Markup);
        Assert.True(Context.Services.GetRequiredService<IOptions<UsageOptions>>().Value.Enabled); // the default
    }

    [Fact]
    public void UsageCharts_SamplingOff_SaysSoAndShowsNoLiveNumbers()
    {
        TurnSamplingOff();
        Context.SignInAs("ada", Roles.Administrator);
        var uuid = Guid.NewGuid();
        var usage = Context.Services.GetRequiredService<UsageLive>();
        usage.Guests.Upsert(new GuestUsage(HostId, uuid, "web", DateTimeOffset.UtcNow, 37, 9, 131072, 262144, 0, 0, 0, 0, 0, 0), Store.NextVersion());

        var charts = Context.Render<UsageCharts>(p => p.Add(c => c.HostId, HostId).Add(c => c.GuestUuid, uuid));

        charts.WaitForAssertion(() => Assert.Contains("Usage:Enabled is false", charts.Find("[data-testid=usage-sampling-off]").TextContent));
        foreach (var family in new[] { "cpu", "memory", "disk", "network" })
        {
            Assert.Equal(UsageText.SamplingOff, charts.Find($"[data-testid=usage-now-{family}]").TextContent.Trim());
        }

        Assert.Empty(Context.Services.GetRequiredService<UsageWatch>().WatchedOn(HostId));
    }
}

using VirtWeb.Guests;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Usage;

namespace VirtWeb.EndToEnd;

/// <summary>
/// Issue 18 in the browser: the guest page's uPlot charts draw the history's points and switch range; the guest list
/// sorts by CPU.
/// </summary>
public sealed class UsageTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    private static readonly LocatorAssertionsToHaveAttributeOptions Slow = new() { Timeout = 30_000 };

    [Fact]
    public async Task UsageChart_GuestWithHistory_DrawsPointsAndSwitchesToTheDay()
    {
        var viewer = VirtWebFactory.UniqueUserName("e2e-use");
        await App.CreateUserAsync(viewer, Roles.Viewer);
        var store = App.Services.GetRequiredService<LiveStateStore>();
        var demo = await Eventually.ValueAsync(() => store.Hosts.Current().FirstOrDefault(h => h.Uri == "test:///default"), _ => true, TimeSpan.FromSeconds(30), "the demo host");
        var guest = await Eventually.ValueAsync(() => store.Guests.Current().FirstOrDefault(g => g.HostId == demo.HostId && g.IsActive), _ => true, TimeSpan.FromSeconds(30), "a running demo guest");
        await WriteHistoryAsync(guest);

        await SignInAsync(viewer, VirtWebFactory.UserPassword);
        await Page.GotoAsync($"/guests/{guest.HostId}/{guest.Uuid}");
        await Page.WaitForInteractiveAsync();

        var cpu = Page.Locator("[data-testid=usage-charts] [data-family=cpu]");
        await Expect(Page.GetByTestId("usage-charts")).ToHaveAttributeAsync("data-range", "Hour", Slow);
        await Expect(cpu.Locator("canvas")).ToHaveCountAsync(1);
        Assert.True(int.Parse(await cpu.GetAttributeAsync("data-points") ?? "0") >= 3 * 20, "the hour's chart has the written points");
        Assert.True(await InkedPixelsAsync(cpu) > 0, "the CPU chart's canvas is not empty");

        await Page.GetByTestId("usage-range-Day").ClickAsync();
        await Expect(Page.GetByTestId("usage-charts")).ToHaveAttributeAsync("data-range", "Day", Slow);
        await Expect(Page.GetByTestId("usage-resolution")).ToContainTextAsync("1 min");
        Assert.True(int.Parse(await cpu.GetAttributeAsync("data-points") ?? "0") >= 3 * 30, "the day's chart has the written minute points");
    }

    [Fact]
    public async Task GuestList_CpuHeaderClicked_HottestGuestsFirst()
    {
        var viewer = VirtWebFactory.UniqueUserName("e2e-use");
        await App.CreateUserAsync(viewer, Roles.Viewer);
        var store = App.Services.GetRequiredService<LiveStateStore>();
        var live = App.Services.GetRequiredService<UsageLive>();
        // A host no supervisor runs: nothing but this test writes its guests or their usage.
        var hostId = Guid.NewGuid();
        var guests = new[] { ("vwuse-a", 5.0), ("vwuse-b", 90.0), ("vwuse-c", 45.0) }
            .Select(g => (State: new GuestState(hostId, "vwuse-host", Guid.NewGuid(), g.Item1, DomainState.Running, "", 1, 262144, 262144, VirtualizationMode.Hybrid,
                GuestKind.VirtualMachine, false, true, false, false, DateTimeOffset.UtcNow, false, []), Cpu: g.Item2))
            .ToList();
        try
        {
            foreach (var (state, _) in guests)
            {
                store.Guests.Upsert(state, store.NextVersion());
            }

            var usage = guests.Select(g => new GuestUsage(hostId, g.State.Uuid, g.State.Name, DateTimeOffset.UtcNow, g.Cpu, g.Cpu, null, 262144, 0, 0, 0, 0, 0, 0)).ToList();
            live.AppendTrails(hostId, usage);
            live.Guests.Replace(usage, store.NextVersion(), u => u.HostId == hostId);

            await SignInAsync(viewer, VirtWebFactory.UserPassword);
            await Page.GotoAsync("/guests");
            await Page.WaitForInteractiveAsync();
            await Page.Locator("input[data-testid=guest-search], [data-testid=guest-search] input").FillAsync("vwuse-host");
            var names = Page.GetByTestId("guest-name");
            await Expect(names).ToHaveTextAsync(["vwuse-a", "vwuse-b", "vwuse-c"]);

            await Page.GetByTestId("sort-cpu").ClickAsync();
            await Expect(names).ToHaveTextAsync(["vwuse-a", "vwuse-c", "vwuse-b"]);
            await Page.GetByTestId("sort-cpu").ClickAsync();
            await Expect(names).ToHaveTextAsync(["vwuse-b", "vwuse-c", "vwuse-a"]);
            await Expect(Page.GetByTestId("guest-cpu").First).ToContainTextAsync("90 %");
            await Expect(Page.GetByTestId("guest-sparkline")).ToHaveCountAsync(3);
        }
        finally
        {
            live.Forget(hostId, store.NextVersion());
            store.Guests.Replace([], store.NextVersion(), g => g.HostId == hostId);
        }
    }

    /// <summary>20 ten-second points (last minutes) and 30 one-minute points (last hours) of a guest, straight into the history.</summary>
    private async Task WriteHistoryAsync(GuestState guest)
    {
        var history = App.Services.GetRequiredService<UsageHistory>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 1; i <= 20; i++)
        {
            await history.InsertAsync(UsageTiers.Raw, UsageTiers.Raw.BucketOf(now.AddSeconds(-10 * i)), [Row(guest, 20 + i)], CancellationToken.None);
        }

        for (var i = 5; i < 35; i++)
        {
            await history.InsertAsync(UsageTiers.Minute, UsageTiers.Minute.BucketOf(now.AddMinutes(-i)), [Row(guest, i)], CancellationToken.None);
        }
    }

    private static UsageHistory.Row Row(GuestState guest, float cpu) => new(guest.HostId, guest.Uuid, [cpu, 1000, 0, 4096, 0, 1, 10, 20], 262144);

    /// <summary>Pixels of the chart's canvas something was drawn on.</summary>
    private static Task<int> InkedPixelsAsync(ILocator chart) => chart.Locator("canvas").EvaluateAsync<int>("""
        c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }
        """);
}

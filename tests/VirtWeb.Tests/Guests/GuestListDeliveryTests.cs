using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace VirtWeb.Tests.Guests;

/// <summary>
/// The guest list on a fake clock that never moves unless a test moves it: a lone change shows at once, and what
/// follows it within the batch window shows in one render when the window ends.
/// </summary>
public sealed class GuestListDeliveryTests : GuestListPageTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    public GuestListDeliveryTests() => Context.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_clock));

    [Fact]
    public void GuestList_LoneChange_ShowsWithoutTheClockMoving()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var web = Guest("web", DomainState.Running);
        Upsert(Store.Guests, web);
        var page = RenderList();
        page.WaitForAssertion(() => Assert.Equal(["web"], RowNames(page)));

        Upsert(Store.Guests, web with { State = DomainState.Shutoff, Reason = "destroyed" });

        page.WaitForAssertion(() => Assert.Contains("Shut off", StateOf(page, "web")));
    }

    [Fact]
    public async Task GuestList_TenGuestsAddedInsideTheWindow_ShowInOneRenderOfTheList()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var page = RenderList();
        Upsert(Store.Guests, Guest("first", DomainState.Running));
        page.WaitForAssertion(() => Assert.Equal(["first"], RowNames(page)));
        var before = await RendersAsync(page);

        Upsert(Store.Guests, [.. Enumerable.Range(0, 10).Select(i => Guest($"g{i}", DomainState.Running))]);
        // The page's reader can reach the window's delay only after the clock moved (it runs on its own thread), and a
        // fake clock's delay waits for the next move: move it again, a window at a time, until the batch is out.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        _clock.Advance(LiveStateStore.BatchWindow);
        while (await RowCountAsync(page) != 11 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            _clock.Advance(LiveStateStore.BatchWindow);
        }

        page.WaitForAssertion(() => Assert.Equal(11, RowNames(page).Count));
        Assert.Equal(before + 1, await RendersAsync(page));
    }

    private static async Task<int> RowCountAsync(IRenderedComponent<GuestList> page)
    {
        var rows = 0;
        await page.InvokeAsync(() => rows = RowNames(page).Count);
        return rows;
    }

    // Read on the renderer's dispatcher, so a render whose markup is out but whose OnAfterRender has not run yet is counted.
    private static async Task<int> RendersAsync(IRenderedComponent<GuestList> page)
    {
        var renders = 0;
        await page.InvokeAsync(() => renders = page.Instance.Renders);
        return renders;
    }
}

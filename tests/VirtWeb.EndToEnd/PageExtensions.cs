namespace VirtWeb.EndToEnd;

public static class PageExtensions
{
    /// <summary>Waits until the prerendered page has its circuit, so clicks reach the server.</summary>
    public static Task WaitForInteractiveAsync(this IPage page) =>
        Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
}

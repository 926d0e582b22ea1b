namespace VirtWeb.EndToEnd;

/// <summary>The API's reference page (Swagger UI at /api-docs) in Chromium, under the app's content security policy.</summary>
public sealed class ApiReferenceTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    // Generous: a loaded machine's first page load (the app's and Chromium's cold start) has taken over 30 s.
    private const float Slow = 90_000;

    [Fact]
    public async Task ApiReference_SignedIn_ListsTheOperations_NoCspViolation()
    {
        // Every violation the page meets, reported by the browser itself (a blocked script, style, image or fetch).
        await Page.AddInitScriptAsync(
            "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));");
        // The reference page is no Blazor page: signed in is enough, the start page's circuit need not come up.
        await Page.GotoAsync("/Account/Login", new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = Slow });
        await SubmitSignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        await Expect(Page.GetByTestId("start-title")).ToBeVisibleAsync(new() { Timeout = Slow });

        await Page.GotoAsync("/api-docs", new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = Slow });

        await Expect(Page.Locator(".info .title")).ToContainTextAsync("VirtWeb API", new() { Timeout = Slow });
        var listGuests = Page.Locator(".opblock-get").Filter(new() { Has = Page.Locator(".opblock-summary-path[data-path='/api/v1/guests']") });
        await Expect(listGuests).ToHaveCountAsync(1, new() { Timeout = Slow });
        await Expect(Page.Locator(".opblock-post .opblock-summary-path[data-path='/api/v1/hosts/{hostId}/guests/{uuid}/actions/{action}']")).ToHaveCountAsync(1);
        Assert.True(await Page.Locator(".opblock").CountAsync() >= 40, "fewer operations listed than the API has");

        var violations = await Page.EvaluateAsync<string[]>("() => window.__cspViolations");
        Assert.Empty(violations);
        Assert.DoesNotContain(ConsoleErrors, error => error.Contains("Content Security Policy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApiReference_SignedOut_SentToSignIn()
    {
        await Page.GotoAsync("/api-docs", new() { WaitUntil = WaitUntilState.Commit, Timeout = Slow });

        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"), new() { Timeout = Slow });
    }
}

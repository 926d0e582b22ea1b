namespace VirtWeb.EndToEnd;

/// <summary>A fresh browser context (its own cookies) per test, against the shared running app.</summary>
[Collection(EndToEndCollection.Name)]
public abstract class BrowserTest(KestrelVirtWebFactory app, BrowserFixture browser) : IAsyncLifetime
{
    private IBrowserContext _context = null!;

    protected KestrelVirtWebFactory App => app;

    /// <summary>The browser, for a test that needs a second context (another user watching at the same time).</summary>
    protected BrowserFixture Browser => browser;

    protected IPage Page { get; private set; } = null!;

    /// <summary>Errors the page printed to its console, such as a script the content security policy blocked.</summary>
    protected List<string> ConsoleErrors { get; } = [];

    public virtual async Task InitializeAsync()
    {
        _context = await browser.Browser.NewContextAsync(new() { BaseURL = app.ServerAddress.ToString() });
        Page = await _context.NewPageAsync();
        Page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (ConsoleErrors)
                {
                    ConsoleErrors.Add(message.Text);
                }
            }
        };
    }

    public async Task DisposeAsync() => await _context.DisposeAsync();

    /// <summary>Fills and submits the sign-in form on the current page (or on <paramref name="page"/>).</summary>
    protected async Task SubmitSignInAsync(string userName, string password, IPage? page = null)
    {
        page ??= Page;
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Signs in from the sign-in page and waits for the start page with its live connection.</summary>
    protected async Task SignInAsync(string userName, string password, IPage? page = null)
    {
        page ??= Page;
        await page.GotoAsync("/Account/Login");
        await SubmitSignInAsync(userName, password, page);
        await Assertions.Expect(page.GetByTestId("start-title")).ToBeVisibleAsync();
        await page.WaitForInteractiveAsync();
    }
}

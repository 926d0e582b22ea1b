namespace VirtWeb.EndToEnd;

/// <summary>A fresh browser context (its own cookies) per test, against the shared running app.</summary>
[Collection(EndToEndCollection.Name)]
public abstract class BrowserTest(KestrelVirtWebFactory app, BrowserFixture browser) : IAsyncLifetime
{
    private IBrowserContext _context = null!;

    protected KestrelVirtWebFactory App => app;

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

    /// <summary>Fills and submits the sign-in form on the current page.</summary>
    protected async Task SubmitSignInAsync(string userName, string password)
    {
        await Page.GetByLabel("User name").FillAsync(userName);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Signs in from the sign-in page and waits for the start page with its live connection.</summary>
    protected async Task SignInAsync(string userName, string password)
    {
        await Page.GotoAsync("/Account/Login");
        await SubmitSignInAsync(userName, password);
        await Assertions.Expect(Page.GetByTestId("start-title")).ToBeVisibleAsync();
        await Page.WaitForInteractiveAsync();
    }
}

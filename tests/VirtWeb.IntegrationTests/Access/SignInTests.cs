namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class SignInTests(VirtWebFactory factory)
{
    [Fact]
    public async Task SignIn_RightPassword_RedirectsWithAuthCookie()
    {
        var userName = VirtWebFactory.UniqueUserName("op");
        await factory.CreateUserAsync(userName, Roles.Operator);
        var client = BrowserlessClient.Create(factory);

        var response = await client.SignInAsync(userName, VirtWebFactory.UserPassword);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), cookie => cookie.StartsWith("VirtWeb.Auth=", StringComparison.Ordinal));
        var start = await client.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Contains(userName, await start.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SignIn_WrongPassword_RefusedWithMessage()
    {
        var userName = VirtWebFactory.UniqueUserName("viewer");
        await factory.CreateUserAsync(userName, Roles.Viewer);
        var client = BrowserlessClient.Create(factory);

        var response = await client.SignInAsync(userName, "not-the-password");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong user name or password", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies)
            && cookies.Any(c => c.StartsWith("VirtWeb.Auth=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswords_LocksOutEvenTheRightPassword()
    {
        var userName = VirtWebFactory.UniqueUserName("locked");
        await factory.CreateUserAsync(userName, Roles.Viewer);
        var client = BrowserlessClient.Create(factory);

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await client.SignInAsync(userName, $"wrong-{attempt}");
        }

        var response = await client.SignInAsync(userName, VirtWebFactory.UserPassword);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.EndsWith("Account/Lockout", response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await client.Http.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task SignIn_UnknownUser_RefusedWithTheSameMessage()
    {
        var client = BrowserlessClient.Create(factory);

        var response = await client.SignInAsync("nobody-here", "whatever");

        Assert.Contains("Wrong user name or password", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SignOut_Post_EndsTheSession()
    {
        var userName = VirtWebFactory.UniqueUserName("out");
        await factory.CreateUserAsync(userName, Roles.Viewer);
        var client = BrowserlessClient.Create(factory);
        await client.SignInAsync(userName, VirtWebFactory.UserPassword);
        var token = await client.AntiforgeryTokenAsync("/");

        var response = await client.Http.PostAsync("/Account/Logout", new FormUrlEncodedContent(
            new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var start = await client.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.Contains("/Account/Login", start.Headers.Location!.OriginalString);
    }
}

namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class AuthorizationTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/access/users")]
    [InlineData("/access/audit")]
    [InlineData("/hosts")]
    [InlineData("/Account/Manage")]
    public async Task AnonymousRequest_Page_RedirectsToSignIn(string path)
    {
        var client = Factory.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/Login", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task AnonymousRequest_SignInPageAndStyles_Served()
    {
        var client = Factory.CreateClient(new() { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/app.css")).StatusCode);
    }

    [Theory]
    [InlineData("/access/users")]
    [InlineData("/access/audit")]
    [InlineData("/consoles/sessions")]
    public async Task Viewer_AdministratorOnlyPage_IsDenied(string path)
    {
        var client = await SignedInAsync("viewer", Roles.Viewer);

        var response = await client.Http.GetAsync(path);

        AssertDenied(response);
    }

    [Fact]
    public async Task Administrator_AdministratorOnlyPage_IsServed()
    {
        var client = BrowserlessClient.Create(Factory);
        await client.SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);

        var response = await client.Http.GetAsync("/access/users");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Users", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/access/users")]
    [InlineData("/access/audit")]
    [InlineData("/consoles/sessions")]
    public async Task OperatorWithAdministratorGrantOnRoot_AdministrationPage_IsServed(string path)
    {
        var client = await SignedInAsync("rootadm", Roles.Operator, (AccessPaths.Root, AccessRole.Administrator));

        var response = await client.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AdministratorOfOneHost_ConsolesServedButUsersAndAuditDenied()
    {
        var hostId = await GuestWorld.AddPrivateHostAsync(Factory);
        var client = await SignedInAsync("hostadm", Roles.Viewer, (AccessPaths.Host(hostId), AccessRole.Administrator));

        var consoles = await client.Http.GetAsync("/consoles/sessions");
        var users = await client.Http.GetAsync("/access/users");
        var audit = await client.Http.GetAsync("/access/audit");

        Assert.Equal(HttpStatusCode.OK, consoles.StatusCode);
        Assert.All([users, audit], AssertDenied);
    }

    /// <summary>A new user with <paramref name="role"/> and, if given, one grant, signed in over HTTP.</summary>
    private async Task<BrowserlessClient> SignedInAsync(string prefix, string role, (string Path, AccessRole Role)? grant = null)
    {
        var userName = VirtWebFactory.UniqueUserName(prefix);
        await Factory.CreateUserAsync(userName, role);
        if (grant is { } g)
        {
            await Service<GrantDirectory>().SetAsync(TestPrincipals.Administrator, userName, g.Path, g.Role);
        }

        var client = BrowserlessClient.Create(Factory);
        await client.SignInAsync(userName, VirtWebFactory.UserPassword);
        return client;
    }

    private static void AssertDenied(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
    }
}

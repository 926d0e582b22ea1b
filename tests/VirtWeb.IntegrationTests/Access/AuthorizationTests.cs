using System.Net;
using Microsoft.Extensions.DependencyInjection;
using VirtWeb.Access;
using VirtWeb.IntegrationTests.Guests;
using VirtWeb.IntegrationTests.Infrastructure;

namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class AuthorizationTests(VirtWebFactory factory)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/access/users")]
    [InlineData("/access/audit")]
    [InlineData("/hosts")]
    [InlineData("/Account/Manage")]
    public async Task AnonymousRequest_Page_RedirectsToSignIn(string path)
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/Login", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task AnonymousRequest_SignInPageAndStyles_Served()
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/app.css")).StatusCode);
    }

    [Theory]
    [InlineData("/access/users")]
    [InlineData("/access/audit")]
    [InlineData("/consoles/sessions")]
    public async Task Viewer_AdministratorOnlyPage_IsDenied(string path)
    {
        var userName = VirtWebFactory.UniqueUserName("viewer");
        await factory.CreateUserAsync(userName, Roles.Viewer);
        var client = BrowserlessClient.Create(factory);
        await client.SignInAsync(userName, VirtWebFactory.UserPassword);

        var response = await client.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task Administrator_AdministratorOnlyPage_IsServed()
    {
        var client = BrowserlessClient.Create(factory);
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
        var userName = VirtWebFactory.UniqueUserName("rootadm");
        await factory.CreateUserAsync(userName, Roles.Operator);
        await factory.Services.GetRequiredService<GrantDirectory>().SetAsync(TestPrincipals.Administrator, userName, AccessPaths.Root, AccessRole.Administrator);
        var client = BrowserlessClient.Create(factory);
        await client.SignInAsync(userName, VirtWebFactory.UserPassword);

        var response = await client.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AdministratorOfOneHost_ConsolesServedButUsersAndAuditDenied()
    {
        var hostId = await GuestWorld.AddPrivateHostAsync(factory);
        var userName = VirtWebFactory.UniqueUserName("hostadm");
        await factory.CreateUserAsync(userName, Roles.Viewer);
        await factory.Services.GetRequiredService<GrantDirectory>().SetAsync(TestPrincipals.Administrator, userName, AccessPaths.Host(hostId), AccessRole.Administrator);
        var client = BrowserlessClient.Create(factory);
        await client.SignInAsync(userName, VirtWebFactory.UserPassword);

        var consoles = await client.Http.GetAsync("/consoles/sessions");
        var users = await client.Http.GetAsync("/access/users");
        var audit = await client.Http.GetAsync("/access/audit");

        Assert.Equal(HttpStatusCode.OK, consoles.StatusCode);
        Assert.All([users, audit], response =>
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
        });
    }
}

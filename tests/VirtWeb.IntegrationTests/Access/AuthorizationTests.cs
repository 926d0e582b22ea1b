using System.Net;
using VirtWeb.Access;
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
}

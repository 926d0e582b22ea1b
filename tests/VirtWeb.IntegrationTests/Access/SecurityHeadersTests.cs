namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class SecurityHeadersTests(VirtWebFactory factory)
{
    [Theory]
    [InlineData("/Account/Login")]
    [InlineData("/app.css")]
    [InlineData("/")]
    public async Task AnyResponse_CarriesTheSecurityHeaders(string path)
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.GetAsync(path);

        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Contains("frame-ancestors 'none'", SecurityHeaders.ContentSecurityPolicy);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }

    [Fact]
    public async Task SignIn_AuthCookie_IsHttpOnlyAndSameSiteStrict()
    {
        var userName = VirtWebFactory.UniqueUserName("cookie");
        await factory.CreateUserAsync(userName, Roles.Viewer);
        var client = BrowserlessClient.Create(factory);

        var response = await client.SignInAsync(userName, VirtWebFactory.UserPassword);

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("VirtWeb.Auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }
}

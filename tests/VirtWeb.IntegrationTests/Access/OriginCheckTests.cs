namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class OriginCheckTests(VirtWebFactory factory)
{
    [Theory]
    [InlineData("/_blazor/negotiate?negotiateVersion=1")]
    [InlineData("/hubs/live/negotiate?negotiateVersion=1")]
    public async Task Negotiate_ForeignOrigin_Refused(string path)
    {
        var client = BrowserlessClient.Create(factory);
        await client.SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Origin", "https://evil.example");

        var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Negotiate_SameOrigin_Allowed()
    {
        var client = BrowserlessClient.Create(factory);
        await client.SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1");
        request.Headers.Add("Origin", client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority));

        var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

using System.Text.RegularExpressions;

namespace VirtWeb.IntegrationTests.Api;

/// <summary>The account page for tokens, driven over HTTP as a browser posts its forms: make one, use it, revoke it.</summary>
[Collection(AppCollection.Name)]
public sealed partial class ApiTokensPageTests(VirtWebFactory factory) : ApiTest(factory)
{
    private const string PagePath = "/Account/Manage/ApiTokens";

    [Fact]
    public async Task TokenPage_MakeShowsSecretOnce_TokenWorks_RevokeStopsIt()
    {
        var user = await UserAsync("apipage", Roles.Viewer);
        var browser = BrowserlessClient.Create(Factory);
        await browser.SignInAsync(user.UserName!, VirtWebFactory.UserPassword);

        var made = await PostAsync(browser, "issue-token", new() { ["Input.Name"] = "page script", ["Input.Days"] = "30", ["Input.Role"] = "", ["Input.Paths"] = "" });
        var secret = Secret().Match(made).Value;
        Assert.NotEmpty(secret);
        Assert.DoesNotContain(secret, await browser.Http.GetStringAsync(PagePath));

        using var script = Client(secret);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/v1/hosts")).StatusCode);
        var tokenId = Assert.Single(await Service<VirtWeb.Api.Tokens.ApiTokenService>().ListOwnAsync(SignedIn(user))).Id;

        var revoked = await PostAsync(browser, "revoke-token", new() { ["Revoke.TokenId"] = tokenId.ToString() });

        Assert.Contains("revoked", revoked);
        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/v1/hosts")).StatusCode);
    }

    [Fact]
    public async Task TokenPage_BadExpiry_SaysWhyAndMakesNothing()
    {
        var user = await UserAsync("apipagebad", Roles.Viewer);
        var browser = BrowserlessClient.Create(Factory);
        await browser.SignInAsync(user.UserName!, VirtWebFactory.UserPassword);

        var page = await PostAsync(browser, "issue-token", new() { ["Input.Name"] = "too long", ["Input.Days"] = "400" });

        Assert.Contains("at most 365 days", page);
        Assert.Empty(await Service<VirtWeb.Api.Tokens.ApiTokenService>().ListOwnAsync(SignedIn(user)));
    }

    private static async Task<string> PostAsync(BrowserlessClient browser, string form, Dictionary<string, string> fields)
    {
        fields["_handler"] = form;
        fields["__RequestVerificationToken"] = await browser.AntiforgeryTokenAsync(PagePath);
        var response = await browser.Http.PostAsync(PagePath, new FormUrlEncodedContent(fields));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    [GeneratedRegex(@"vwt_[0-9a-f]{8}_[0-9a-f]{32}_[A-Za-z0-9_-]{43}")]
    private static partial Regex Secret();
}

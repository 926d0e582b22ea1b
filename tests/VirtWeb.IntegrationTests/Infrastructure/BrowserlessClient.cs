using System.Text.RegularExpressions;

namespace VirtWeb.IntegrationTests.Infrastructure;

/// <summary>
/// Drives the static sign-in form over HTTP the way a browser would (antiforgery token, cookies, no auto-redirect),
/// so tests see the status codes and redirects themselves.
/// </summary>
public sealed partial class BrowserlessClient(HttpClient client)
{
    public HttpClient Http { get; } = client;

    public static BrowserlessClient Create(VirtWebFactory factory) =>
        new(factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true }));

    public async Task<HttpResponseMessage> SignInAsync(string userName, string password)
    {
        var token = await AntiforgeryTokenAsync("/Account/Login");
        return await Http.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>The antiforgery token a page's forms carry, as the browser would submit it.</summary>
    public async Task<string> AntiforgeryTokenAsync(string path)
    {
        var page = await Http.GetStringAsync(path);
        var token = AntiforgeryField().Match(page);
        return token.Success
            ? WebUtility.HtmlDecode(token.Groups[1].Value)
            : throw new InvalidOperationException($"The page {path} has no antiforgery token.");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

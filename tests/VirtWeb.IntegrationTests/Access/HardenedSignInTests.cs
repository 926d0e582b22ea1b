using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace VirtWeb.IntegrationTests.Access;

public sealed partial class HardenedSignInTests(HardenedVirtWebFactory factory) : IClassFixture<HardenedVirtWebFactory>
{
    private const string SetUpPath = "/Account/Manage/EnableAuthenticator";

    [Fact]
    public async Task Administrator_WithoutTwoFactor_IsSentToSetItUpUntilDone()
    {
        var userName = VirtWebFactory.UniqueUserName("admin2fa");
        await factory.CreateUserAsync(userName, Roles.Administrator);
        var client = HttpsClient();
        await client.SignInAsync(userName, VirtWebFactory.UserPassword);

        foreach (var path in new[] { "/", "/guests", "/access/users" })
        {
            var refused = await client.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
            Assert.Equal(SetUpPath + "?required=true", refused.Headers.Location!.OriginalString);
        }

        var page = await client.Http.GetStringAsync(SetUpPath);
        Assert.Contains("Administrators must sign in with a second factor", page);
        var key = SharedKey().Match(page).Groups[1].Value;
        var token = await client.AntiforgeryTokenAsync(SetUpPath);
        var confirmed = await client.Http.PostAsync(SetUpPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "send-code",
            ["__RequestVerificationToken"] = token,
            ["Input.Code"] = Totp(key, DateTimeOffset.UtcNow),
        }));

        Assert.Contains("verified", await confirmed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Operator_WithoutTwoFactor_GoesOn()
    {
        var userName = VirtWebFactory.UniqueUserName("op2fa");
        await factory.CreateUserAsync(userName, Roles.Operator);
        var client = HttpsClient();
        await client.SignInAsync(userName, VirtWebFactory.UserPassword);

        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Cookies_OverHttps_HostPrefixedSecureHttpOnlyAndStrict()
    {
        var userName = VirtWebFactory.UniqueUserName("cookie");
        await factory.CreateUserAsync(userName, Roles.Viewer);
        var client = HttpsClient();

        var response = await client.SignInAsync(userName, VirtWebFactory.UserPassword);
        var antiforgery = await HttpsClient().Http.GetAsync("/Account/Login");

        var auth = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-VirtWeb.Auth=", StringComparison.Ordinal));
        var form = Assert.Single(antiforgery.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-VirtWeb.Antiforgery=", StringComparison.Ordinal));
        foreach (var cookie in new[] { auth, form })
        {
            Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("; path=/", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("; httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("; samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
        }
    }

    private BrowserlessClient HttpsClient() =>
        new(factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri("https://localhost") }));

    /// <summary>The six-digit code an authenticator app shows for <paramref name="key"/> (RFC 6238: SHA-1, 30 s steps).</summary>
    private static string Totp(string key, DateTimeOffset at)
    {
        var secret = Base32(key.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant());
        var step = BitConverter.GetBytes(at.ToUnixTimeSeconds() / 30);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(step);
        }

        var hash = HMACSHA1.HashData(secret, step);
        var offset = hash[^1] & 0x0f;
        var value = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (value % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('='))
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. bytes];
    }

    [GeneratedRegex("<code class=\"vw-key\">([a-z2-7 ]+)</code>")]
    private static partial Regex SharedKey();
}

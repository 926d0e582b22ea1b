using System.Text.RegularExpressions;
using StbImageSharp;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace VirtWeb.IntegrationTests.Access;

/// <summary>The two-factor set-up page shows a QR code beside the key, and a QR decoder reads the link the page shows.</summary>
[Collection(AppCollection.Name)]
public sealed partial class TwoFactorQrCodeTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    [Fact]
    public async Task EnableAuthenticator_QrCode_DecodesToTheOtpauthUriShown()
    {
        var userName = VirtWebFactory.UniqueUserName("qr");
        await Factory.CreateUserAsync(userName, Roles.Viewer);
        var client = BrowserlessClient.Create(Factory);
        Assert.Equal(HttpStatusCode.Redirect, (await client.SignInAsync(userName, VirtWebFactory.UserPassword)).StatusCode);

        var page = await client.Http.GetStringAsync("/Account/Manage/EnableAuthenticator");

        var shown = WebUtility.HtmlDecode(Assert.Single(ShownUri().Matches(page)).Groups[1].Value);
        Assert.StartsWith("otpauth://totp/", shown);
        Assert.Contains("secret=", shown);
        var image = ImageResult.FromMemory(Convert.FromBase64String(WebUtility.HtmlDecode(QrImage().Match(page).Groups[1].Value)), ColorComponents.RedGreenBlue);
        var source = new RGBLuminanceSource(image.Data, image.Width, image.Height, RGBLuminanceSource.BitmapFormat.RGB24);
        var decoded = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)));
        Assert.NotNull(decoded);
        Assert.Equal(shown, decoded.Text);
    }

    [GeneratedRegex("<code class=\"vw-key\">(otpauth://[^<]+)</code>")]
    private static partial Regex ShownUri();

    [GeneratedRegex("<img id=\"authenticator-qr\" src=\"data:image/png;base64,([^\"]+)\"")]
    private static partial Regex QrImage();
}

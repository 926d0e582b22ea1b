using QRCoder;

namespace VirtWeb.Account;

/// <summary>A QR code as an image: its data: URI and its width in CSS pixels (one per image pixel, sharp to a camera).</summary>
public sealed record QrImage(string Src, int Width);

/// <summary>
/// The two-factor set-up page's QR code of the otpauth link, drawn by QRCoder as a PNG in a data: URI: the CSP allows
/// data: images, and the page needs no script for it.
/// </summary>
public static class AuthenticatorQrCode
{
    private const int PixelsPerModule = 5;

    public static QrImage Draw(string otpauthUri)
    {
        using var generator = new QRCodeGenerator();
        // M: a quarter of the code may be smudged or glared on a screen and it still reads.
        using var data = generator.CreateQrCode(otpauthUri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(PixelsPerModule);
        return new QrImage($"data:image/png;base64,{Convert.ToBase64String(png)}", data.ModuleMatrix.Count * PixelsPerModule);
    }
}

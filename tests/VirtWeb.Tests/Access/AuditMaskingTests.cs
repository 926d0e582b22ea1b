namespace VirtWeb.Tests.Access;

public sealed class AuditMaskingTests
{
    [Theory]
    [InlineData("esx://root:s3cret@esx1/", "esx://root:***@esx1/")]
    [InlineData("qemu+tcp://admin:p@ss@10.0.0.5/system", "qemu+tcp://admin:***@10.0.0.5/system")]
    [InlineData("vnc ticket=abc123 for guest", "vnc ticket=*** for guest")]
    [InlineData("Host=db;Password=hunter2;Database=x", "Host=db;Password=***;Database=x")]
    [InlineData("qemu:///system", "qemu:///system")]
    public void MaskSecrets_TextWithCredentials_HidesThem(string text, string expected) =>
        Assert.Equal(expected, AuditLog.MaskSecrets(text));

    [Theory]
    [InlineData("nul\0name", "nul\\u0000name")]
    [InlineData("two\nlines", "two\\u000alines")]
    [InlineData("plain", "plain")]
    public void Clean_ControlCharacters_BecomeVisibleEscapes(string text, string expected) =>
        Assert.Equal(expected, AuditLog.Clean(text, 100));

    [Fact]
    public void Clean_LongText_IsCutToTheColumn() =>
        Assert.Equal(64, AuditLog.Clean(new string('x', 1000), 64).Length);
}

namespace VirtWeb.Tests.Hosts;

public sealed class LibvirtMessagesTests
{
    [Fact]
    public void ForUser_TestDriverFileThatIsNoWorld_SaysSoWithoutQuotingTheFile()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("virtweb-messages-").FullName, "not-a-world.txt");
        File.WriteAllText(file, "root:s3cret-first-line:20228:0:99999:7:::\nsecond line\n");
        try
        {
            var error = Assert.Throws<LibvirtException>(() => LibvirtConnection.Open($"test://{file}"));
            Assert.Contains("s3cret-first-line", error.Message);

            var shown = LibvirtMessages.ForUser(error, $"test://{file}");

            Assert.StartsWith("That file is not a libvirt test-driver XML", shown);
            Assert.Contains($"libvirt error {(int)error.Code}", shown);
            Assert.DoesNotContain("s3cret", shown);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [Fact]
    public void Clean_LibxmlQuoteAndPathsNotTyped_Dropped()
    {
        var message = "/srv/secret/world.xml:1: Start tag expected, '<' not found\nroot:*:20228:0:99999:7:::\n^";

        var shown = LibvirtMessages.Clean(message, "qemu:///system");

        Assert.Equal($"{LibvirtMessages.LocalPath}:1: Start tag expected, '<' not found", shown);
    }

    [Fact]
    public void Clean_PathTheUserTyped_Kept()
    {
        const string message = "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory; see /srv/typed.xml";

        var shown = LibvirtMessages.Clean(message, "test:///srv/typed.xml");

        Assert.Equal($"Failed to connect socket to '{LibvirtMessages.LocalPath}': No such file or directory; see /srv/typed.xml", shown);
    }

    [Theory]
    [InlineData("Cannot recv data: ssh: Could not resolve hostname h: Name or service not known: Connection reset by peer")]
    [InlineData("unable to connect to server at 'kvm1.example:16509': Connection refused")]
    [InlineData("no connection driver available for qemu+ssh://root@host/system")]
    public void Clean_MessageWithoutLocalPaths_Unchanged(string message) =>
        Assert.Equal(message, LibvirtMessages.Clean(message, "qemu+ssh://root@host/system"));
}

using Microsoft.Extensions.Options;

namespace VirtWeb.Tests.Images;

public sealed class StorageRootsTests
{
    private static readonly StorageRoots Default = new(Options.Create(new PoolRootsOptions()));

    [Theory]
    [InlineData("/var/lib/libvirt/images", true)]
    [InlineData("/var/lib/libvirt/images/", true)]
    [InlineData("/var/lib/libvirt/images/extra", true)]
    [InlineData("/var/lib/libvirt/images/a/b/c.qcow2", true)]
    [InlineData("/var/lib/libvirt/images/a/../b", true)]
    [InlineData("/var/lib/libvirt/images2", false)]
    [InlineData("/var/lib/libvirt/images/../../etc", false)]
    [InlineData("/var/lib/libvirt/images/..", false)]
    [InlineData("/var/lib/libvirt", false)]
    [InlineData("/etc", false)]
    [InlineData("/", false)]
    [InlineData("/dev/vda", false)]
    [InlineData("var/lib/libvirt/images/x", false)]
    [InlineData("/var/lib/libvirt/images//x", false)]
    [InlineData("/var/lib/libvirt/images/x\0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Contains_Path_OnlyTheRootAndBelowAfterNormalizing(string? path, bool inside) =>
        Assert.Equal(inside, Default.Contains(path));

    [Theory]
    [InlineData("relative/dir", "is relative")]
    [InlineData("/a//b", "empty segment")]
    [InlineData("/a/\0b", "NUL")]
    [InlineData("  ", "give an absolute directory")]
    public void Normalize_BadPath_SaysWhatIsWrong(string path, string expected)
    {
        Assert.Null(StorageRoots.Normalize(path, out var problem));
        Assert.Contains(expected, problem);
    }

    [Theory]
    [InlineData("/", "every file of the host")]
    [InlineData("srv", "is relative")]
    [InlineData("/srv/../etc", "without '.', '..'")]
    public void RootProblem_UnfitRoot_Refused(string root, string expected) => Assert.Contains(expected, StorageRoots.RootProblem(root));

    [Fact]
    public void Roots_Configured_ReplaceTheDefaultAndCountEach()
    {
        var roots = new StorageRoots(Options.Create(new PoolRootsOptions { PoolRoots = ["/srv/vm/", "/data/images"] }));

        Assert.Equal(["/srv/vm", "/data/images"], roots.Roots);
        Assert.True(roots.Contains("/data/images/x.qcow2"));
        Assert.False(roots.Contains("/var/lib/libvirt/images/x.qcow2"));
        Assert.True(roots.IsRoot("/srv/vm/"));
        Assert.False(roots.IsRoot("/srv/vm/a"));
    }

    [Fact]
    public void Redact_LibvirtMessage_KeepsPathsInsideTheRootsAndHidesOthers()
    {
        var message = Default.Redact("cannot open '/var/lib/libvirt/images/a.qcow2': it links to '/etc/shadow' (see /root/.ssh/id_rsa)");

        Assert.Contains("/var/lib/libvirt/images/a.qcow2", message);
        Assert.DoesNotContain("/etc/shadow", message);
        Assert.DoesNotContain("/root", message);
        Assert.Contains("(a path outside VirtWeb's storage roots)", message);
    }
}

using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt.Tests.Snapshots;

/// <summary>The snapshot calls against the test driver, which keeps snapshot metadata in process.</summary>
public sealed class SnapshotTests
{
    [Fact]
    public void CreateListParentCurrent_TwoLevels_TreeAsLibvirtKeepsIt()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");

        using var first = alpha.CreateSnapshot(SnapshotDefinition.Build("first", "the base", "internal", []));
        using var second = alpha.CreateSnapshot(SnapshotDefinition.Build("second", null, "internal", []));
        var all = alpha.ListSnapshots(SnapshotListFlags.Topological);
        var roots = alpha.ListSnapshots(SnapshotListFlags.Roots);

        Assert.Equal(["first", "second"], all.Select(s => s.Name));
        Assert.Equal(["first"], roots.Select(s => s.Name));
        Assert.Null(first.GetParent());
        using (var parent = second.GetParent())
        {
            Assert.Equal("first", parent!.Name);
        }

        Assert.True(second.IsCurrent);
        Assert.False(first.IsCurrent);
        Assert.True(second.HasMetadata);
        var definition = first.GetDefinition();
        Assert.Equal("first", definition.Name);
        Assert.Equal("the base", definition.Description);
        Assert.Equal("running", definition.State);
        Assert.True(definition.HasMemory);
        Assert.False(definition.IsExternal);
        Assert.Contains("<name>alpha</name>", definition.DomainXml, StringComparison.Ordinal);
        Assert.NotNull(definition.CreationTime);
        foreach (var snapshot in all.Concat(roots))
        {
            snapshot.Dispose();
        }
    }

    [Fact]
    public void RevertAndDelete_ChildOfDeletedMiddle_MovesToTheRoot()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");
        alpha.CreateSnapshot(SnapshotDefinition.Build("root", null, "internal", [])).Dispose();
        alpha.CreateSnapshot(SnapshotDefinition.Build("middle", null, "internal", [])).Dispose();
        alpha.CreateSnapshot(SnapshotDefinition.Build("leaf", null, "internal", [])).Dispose();

        using (var root = alpha.GetSnapshot("root"))
        {
            root.Revert();
            Assert.True(root.IsCurrent);
        }

        using (var middle = alpha.GetSnapshot("middle"))
        {
            middle.Delete();
        }

        using var leaf = alpha.GetSnapshot("leaf");
        using var leafParent = leaf.GetParent();
        Assert.Equal("root", leafParent!.Name);
        Assert.Null(alpha.FindSnapshot("middle"));
        var gone = Assert.Throws<LibvirtException>(() => alpha.GetSnapshot("middle"));
        Assert.Equal(LibvirtErrorCode.NoDomainSnapshot, gone.Code);
    }

    [Theory]
    [InlineData("a<b>&'\"")]
    [InlineData("snap with spaces")]
    public void Build_NameWithMarkup_ParsesBackAsText(string name)
    {
        var xml = SnapshotDefinition.Build(name, "</description><evil/>", "no",
            [new SnapshotDisk("vda", "external", "qcow2", "/images/disk.s.qcow2"), new SnapshotDisk("hdc", "no", null, null)]);

        var parsed = SnapshotDefinition.Parse(xml);

        Assert.Equal(name, parsed.Name);
        Assert.Equal("</description><evil/>", parsed.Description);
        Assert.Equal("no", parsed.Memory);
        Assert.True(parsed.IsExternal);
        Assert.Equal([("vda", "external", "/images/disk.s.qcow2"), ("hdc", "no", null)], parsed.Disks.Select(d => (d.Name, d.Snapshot, d.SourceFile)));
    }

    [Fact]
    public void Parse_NotASnapshot_FormatExceptionNamingIt()
    {
        var error = Assert.Throws<FormatException>(() => SnapshotDefinition.Parse("<domain/>"));

        Assert.Contains("<domainsnapshot>", error.Message, StringComparison.Ordinal);
    }
}

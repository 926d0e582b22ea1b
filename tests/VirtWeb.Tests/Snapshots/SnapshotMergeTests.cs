using VirtWeb.Snapshots;

namespace VirtWeb.Tests.Snapshots;

/// <summary>
/// When a merge may pivot: only once libvirt shows the commit job of that very disk ready, as libvirt 9.0 formats the
/// live definition during an active block commit (<c>&lt;mirror job='active-commit' ready='yes'&gt;</c>).
/// </summary>
public sealed class SnapshotMergeTests
{
    [Theory]
    [InlineData("vda", "yes", true)]
    [InlineData("vda", null, false)]
    [InlineData("vda", "abort", false)]
    [InlineData("vda", "pivot", false)]
    [InlineData("vdb", "yes", false)]
    public void MirrorReady_LiveDefinitionDuringCommit_OnlyTheReadyMirrorOfThatDisk(string target, string? ready, bool expected)
    {
        var readyAttribute = ready is null ? "" : $" ready='{ready}'";
        var xml = $"""
            <domain type='kvm'><name>g</name><devices>
              <disk type='file' device='disk'>
                <source file='/pool/disk.s1.qcow2'/>
                <mirror type='file' file='/pool/disk.qcow2' format='qcow2' job='active-commit'{readyAttribute}><format type='qcow2'/><source file='/pool/disk.qcow2'/></mirror>
                <target dev='vda' bus='virtio'/>
              </disk>
              <disk type='file' device='disk'><source file='/pool/other.qcow2'/><target dev='vdb' bus='virtio'/></disk>
            </devices></domain>
            """;

        Assert.Equal(expected, SnapshotMerge.MirrorReady(xml, target));
    }

    [Fact]
    public void MirrorReady_NoJobOnTheDisk_False()
    {
        const string xml = "<domain><devices><disk type='file' device='disk'><source file='/pool/d.qcow2'/><target dev='vda'/></disk></devices></domain>";

        Assert.False(SnapshotMerge.MirrorReady(xml, "vda"));
    }
}

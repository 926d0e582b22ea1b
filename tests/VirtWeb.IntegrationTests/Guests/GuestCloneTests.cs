namespace VirtWeb.IntegrationTests.Guests;

[Collection(AppCollection.Name)]
public sealed class GuestCloneTests(VirtWebFactory factory) : GuestTest(factory)
{
    [Fact]
    public async Task Clone_Overlay_NewUuidMacAndAQcow2OverlayOnTheSourceVolume()
    {
        var hostId = await AddPrivateHostAsync();
        var source = Definition(hostId, Db);

        var clone = await Cloning.CloneAsync(GuestWorld.Principal(Roles.Operator), hostId, Db, " db-copy ", GuestCloneDisks.Overlay);

        Assert.Equal("db-copy", clone.Name);
        Assert.Equal(DomainState.Shutoff, clone.State);
        Assert.NotEqual(Db, clone.Uuid);
        var cloned = Definition(hostId, clone.Uuid);
        var disk = Assert.Single(cloned.Disks);
        Assert.Equal(("/images/db-copy.qcow2", "qcow2"), (disk.SourceFile, disk.DriverType));
        Assert.NotEqual(Assert.Single(source.Interfaces).MacAddress, Assert.Single(cloned.Interfaces).MacAddress);
        Assert.StartsWith("52:54:00:", cloned.Interfaces[0].MacAddress);
        using var volume = Connection(hostId).GetStorageVolumeByPath("/images/db-copy.qcow2");
        var definition = volume.GetDefinition();
        Assert.Equal(("qcow2", "/images/db.qcow2"), (definition.TargetFormat, definition.BackingStorePath));
        Assert.Equal(1UL << 30, volume.GetInfo().CapacityBytes);
        Assert.Equal("/images/db.qcow2", Assert.Single(Definition(hostId, Db).Disks).SourceFile);
    }

    [Fact]
    public async Task Clone_FullCopy_IndependentVolumeInTheSourceFormat()
    {
        var hostId = await AddPrivateHostAsync();

        var clone = await Cloning.CloneAsync(GuestWorld.Admin, hostId, Db, "db-full", GuestCloneDisks.FullCopy);

        Assert.Equal("/images/db-full.qcow2", Assert.Single(Definition(hostId, clone.Uuid).Disks).SourceFile);
        using var volume = Connection(hostId).GetStorageVolumeByPath("/images/db-full.qcow2");
        Assert.Null(volume.GetDefinition().BackingStorePath);
        var audit = await LastAuditAsync(hostId, Db);
        Assert.Equal(("guest.clone", AuditOutcome.Success), (audit.Action, audit.Outcome));
        Assert.Contains(clone.Uuid.ToString(), audit.Detail);
    }

    [Theory]
    [InlineData("a/b", "contains '/'")]
    [InlineData("..", "'..'")]
    [InlineData("nul\0name", "control character")]
    [InlineData("   ", "spaces alone are not a name")]
    [InlineData(null, "is 300 characters long")]
    [InlineData("web", "A guest named web already exists")]
    public async Task Clone_BadName_ClearMessageAndNothingCreated(string? name, string expected)
    {
        var hostId = await AddPrivateHostAsync();
        var before = DomainAndVolumeCount(hostId);

        var error = await Assert.ThrowsAsync<GuestActionException>(() =>
            Cloning.CloneAsync(GuestWorld.Admin, hostId, Db, name ?? new string('x', 300), GuestCloneDisks.Overlay));

        Assert.Contains(expected, error.Message);
        Assert.Equal(before, DomainAndVolumeCount(hostId));
    }

    [Fact]
    public async Task Clone_RunningSource_RefusedNamingItsState()
    {
        var hostId = await AddPrivateHostAsync();
        var before = DomainAndVolumeCount(hostId);

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Cloning.CloneAsync(GuestWorld.Admin, hostId, Web, "web-2", GuestCloneDisks.FullCopy));

        Assert.Contains("web is running; shut it off before cloning it", error.Message);
        Assert.Equal(before, DomainAndVolumeCount(hostId));
    }

    [Fact]
    public async Task Clone_VolumeNameTaken_RefusedBeforeAnythingIsMade()
    {
        var world = GuestWorld.Write(("db", GuestWorld.ShutOffUuid, false), ("old", GuestWorld.RunningUuid, false));
        var hostId = await AddPrivateHostAsync(world);
        // "old" is gone but its volume is not: the clone must not take it over.
        await Guests.DeleteAsync(GuestWorld.Admin, hostId, Web, "old", deleteDisks: false);
        var before = DomainAndVolumeCount(hostId);

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Cloning.CloneAsync(GuestWorld.Admin, hostId, Db, "old", GuestCloneDisks.Overlay));

        Assert.Contains("The pool images already has a volume named old.qcow2", error.Message);
        Assert.Equal(before, DomainAndVolumeCount(hostId));
    }

    [Fact]
    public async Task Clone_SecondDiskDoesNotFit_FirstCopyDeletedAndNothingDefined()
    {
        var hostId = await AddPrivateHostAsync(TwoDiskWorld());
        var before = DomainAndVolumeCount(hostId);

        var error = await Assert.ThrowsAsync<GuestActionException>(() =>
            Cloning.CloneAsync(GuestWorld.Principal(Roles.Operator), hostId, Db, "two-copy", GuestCloneDisks.FullCopy));

        Assert.StartsWith("Could not clone two: ", error.Message);
        Assert.Contains("space", error.Message);
        Assert.Equal(before, DomainAndVolumeCount(hostId));
        var gone = Assert.Throws<LibvirtException>(() => Connection(hostId).GetStorageVolumeByPath("/images/two-copy.raw"));
        Assert.Equal(LibvirtErrorCode.NoStorageVol, gone.Code);
        var audit = await LastAuditAsync(hostId, Db);
        Assert.Equal(AuditOutcome.Failure, audit.Outcome);
        Assert.Equal(error.Message, audit.Detail);
    }

    [Fact]
    public async Task Clone_Viewer_RefusedByTheServiceAndAudited()
    {
        var hostId = await AddPrivateHostAsync();
        var before = DomainAndVolumeCount(hostId);

        await Assert.ThrowsAsync<AccessDeniedException>(() =>
            Cloning.CloneAsync(GuestWorld.Principal(Roles.Viewer, "vera"), hostId, Db, "sneaky", GuestCloneDisks.Overlay));

        Assert.Equal(before, DomainAndVolumeCount(hostId));
        Assert.Equal(("guest.clone", AuditOutcome.Denied), ((await LastAuditAsync(hostId, Db)).Action, (await LastAuditAsync(hostId, Db)).Outcome));
    }

    /// <summary>"two": a 1 GiB and a 60 GiB raw disk in a 100 GiB pool; the first copy fits, the second cannot.</summary>
    private static string TwoDiskWorld()
    {
        var xml = $"""
            <?xml version="1.0"?>
            <node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
              <cpu><mhz>2400</mhz><model>i686</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>2</threads><active>8</active></cpu>
              <memory>8388608</memory>
              <domain type='test'>
                <name>two</name>
                <uuid>{GuestWorld.ShutOffUuid}</uuid>
                <memory unit='MiB'>256</memory>
                <vcpu>1</vcpu>
                <os><type arch='i686'>hvm</type></os>
                <devices>
                  <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/images/two.raw'/><target dev='vda' bus='virtio'/></disk>
                  <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/images/two-data.raw'/><target dev='vdb' bus='virtio'/></disk>
                  <disk type='file' device='cdrom'><source file='/images/installer.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
                </devices>
                <test:runstate>5</test:runstate>
              </domain>
              <pool type='dir'>
                <name>images</name>
                <uuid>aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee</uuid>
                <capacity unit='GiB'>100</capacity><allocation unit='GiB'>61</allocation><available unit='GiB'>39</available>
                <source/>
                <target><path>/images</path></target>
                <volume type='file'><name>two.raw</name><capacity unit='GiB'>1</capacity><allocation unit='GiB'>1</allocation><target><format type='raw'/></target></volume>
                <volume type='file'><name>two-data.raw</name><capacity unit='GiB'>60</capacity><allocation unit='GiB'>60</allocation><target><format type='raw'/></target></volume>
                <volume type='file'><name>installer.iso</name><capacity unit='MiB'>300</capacity><allocation unit='MiB'>300</allocation><target><format type='raw'/></target></volume>
              </pool>
            </node>
            """;
        return TestWorlds.Write("clone", xml);
    }

    private async Task<AuditRecord> LastAuditAsync(Guid hostId, Guid uuid)
    {
        var target = AccessPaths.Guest(hostId, uuid);
        return (await AuditRowsAsync(r => r.Target == target))[^1];
    }

    private VirtWeb.Libvirt.Xml.DomainDefinition Definition(Guid hostId, Guid uuid)
    {
        using var domain = Connection(hostId).GetDomainByUuid(uuid);
        return domain.GetDefinition(DomainXmlFlags.Inactive);
    }
}

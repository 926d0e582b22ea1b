using VirtWeb.IntegrationTests.Guests;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Templates;

namespace VirtWeb.IntegrationTests.Templates;

/// <summary>An OS preset's disk bus and NIC model in the XML of the guest created with it (libvirt's test driver, read back).</summary>
[Collection(AppCollection.Name)]
public sealed class OsPresetCreateTests(VirtWebFactory factory) : GuestTest(factory)
{
    private const string Etch = "http://debian.org/debian/4";
    private const string Bullseye = "http://debian.org/debian/11";

    [Theory]
    [InlineData(Etch, "sda", "sata", "e1000")]
    [InlineData(Bullseye, "vda", "virtio", "virtio")]
    public async Task Create_WithOsPreset_ThePresetsDiskBusAndNicModelInTheDefinedXml(string osId, string target, string bus, string model)
    {
        var hostId = await AddPrivateHostAsync();
        var preset = Service<OsPresets>().Find(osId)!;
        Assert.Equal((bus, model), (preset.DiskBus, preset.NicModel));

        var guest = await Creation.CreateAsync(GuestWorld.Principal(Roles.Operator), new GuestCreateInput(
            hostId, "preset", MemoryMiB: 1024, Pool: "images", DiskSizeGiB: 1, Boot: GuestBootChoice.Disk, OsId: osId));

        var definition = Defined(hostId, guest.Uuid);
        var disk = Assert.Single(definition.Disks);
        Assert.Equal((target, bus), (disk.TargetDev, disk.TargetBus));
        Assert.Equal(model, Assert.Single(definition.Interfaces).Model);
    }

    [Fact]
    public async Task Create_FormChoseOtherDevicesThanThePreset_TheChosenOnesWithTheIsoBesideAnIdeDisk()
    {
        var hostId = await AddPrivateHostAsync();

        var guest = await Creation.CreateAsync(GuestWorld.Principal(Roles.Operator), new GuestCreateInput(
            hostId, "chosen", MemoryMiB: 1024, Pool: "images", DiskSizeGiB: 1, OsId: Bullseye, DiskBus: "ide", NicModel: "rtl8139",
            Boot: GuestBootChoice.Iso, IsoPath: "/images/db.qcow2"));

        var definition = Defined(hostId, guest.Uuid);
        Assert.Equal([("disk", "hda", "ide"), ("cdrom", "sda", "sata")], definition.Disks.Select(d => (d.Device, d.TargetDev, d.TargetBus)));
        Assert.Equal("rtl8139", Assert.Single(definition.Interfaces).Model);
    }

    [Fact]
    public async Task Create_SataDiskAndIso_CdromTakesTheNextSataTarget()
    {
        var hostId = await AddPrivateHostAsync();

        var guest = await Creation.CreateAsync(GuestWorld.Principal(Roles.Operator), new GuestCreateInput(
            hostId, "sata", MemoryMiB: 256, Pool: "images", DiskSizeGiB: 1, OsId: Etch, Boot: GuestBootChoice.Iso, IsoPath: "/images/db.qcow2"));

        Assert.Equal([("disk", "sda"), ("cdrom", "sdb")], Defined(hostId, guest.Uuid).Disks.Select(d => (d.Device, d.TargetDev)));
    }

    [Theory]
    [InlineData("floppy", null, "'floppy' is not a disk bus VirtWeb offers; choose one of virtio, sata, ide.")]
    [InlineData(null, "ne2k", "'ne2k' is not a NIC model VirtWeb offers; choose one of virtio, e1000e, e1000, rtl8139.")]
    public async Task Create_DeviceVirtWebDoesNotOffer_RefusedNamingTheChoicesAndNothingMade(string? bus, string? model, string expected)
    {
        var hostId = await AddPrivateHostAsync();
        var before = DomainAndVolumeCount(hostId);

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Creation.CreateAsync(GuestWorld.Principal(Roles.Operator), new GuestCreateInput(
            hostId, "odd", MemoryMiB: 256, Pool: "images", DiskSizeGiB: 1, DiskBus: bus, NicModel: model)));

        Assert.Equal(expected, error.Message);
        Assert.Equal(before, DomainAndVolumeCount(hostId));
    }

    private DomainDefinition Defined(Guid hostId, Guid uuid)
    {
        using var domain = Connection(hostId).GetDomainByUuid(uuid);
        return DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive));
    }
}

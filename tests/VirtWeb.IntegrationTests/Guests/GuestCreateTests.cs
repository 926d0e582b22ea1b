namespace VirtWeb.IntegrationTests.Guests;

[Collection(AppCollection.Name)]
public sealed class GuestCreateTests(VirtWebFactory factory) : GuestTest(factory)
{
    [Fact]
    public async Task Create_NewQcow2Disk_DefinedWithVncOnLoopbackAndListed()
    {
        var hostId = await AddPrivateHostAsync();

        var guest = await Creation.CreateAsync(GuestWorld.Principal(Roles.Operator), new GuestCreateInput(hostId, " app-1 ", Vcpus: 2, MemoryMiB: 256, Pool: "images", DiskSizeGiB: 4));

        Assert.Equal("app-1", guest.Name);
        Assert.Equal(DomainState.Shutoff, guest.State);
        var details = await Guests.ReadDetailsAsync(GuestWorld.Admin, hostId, guest.Uuid);
        var vnc = Assert.Single(details.Definition.Graphics);
        Assert.Equal("127.0.0.1", vnc.ListenAddress);
        Assert.Equal("qcow2", Assert.Single(details.Definition.Disks).DriverType);
        using var volume = Connection(hostId).GetStorageVolumeByPath("/images/app-1.qcow2");
        Assert.Equal(4UL << 30, volume.GetInfo().CapacityBytes);
    }

    [Theory]
    [InlineData("a/b", 256, "contains '/'")]
    [InlineData("..", 256, "'..'")]
    [InlineData("nul\0name", 256, "control character")]
    [InlineData("   ", 256, "spaces alone are not a name")]
    [InlineData(null, 256, "is 300 characters long")]
    [InlineData("zero-memory", 0, "at least 16 MiB")]
    [InlineData("huge-memory", 9000, "more memory than the host has (8192 MiB)")]
    [InlineData("db", 256, "A guest named db already exists")]
    public async Task Create_BadInput_ClearMessageAndNothingCreated(string? name, int memoryMiB, string expected)
    {
        var hostId = await AddPrivateHostAsync();
        var (domains, volumes) = DomainAndVolumeCount(hostId);

        var error = await Assert.ThrowsAsync<GuestActionException>(() =>
            Creation.CreateAsync(GuestWorld.Admin, new GuestCreateInput(hostId, name ?? new string('x', 300), MemoryMiB: memoryMiB, Pool: "images")));

        Assert.Contains(expected, error.Message);
        Assert.Equal((domains, volumes), DomainAndVolumeCount(hostId));
    }

    [Fact]
    public async Task Create_Viewer_RefusedByTheService()
    {
        var hostId = await AddPrivateHostAsync();
        var before = DomainAndVolumeCount(hostId);

        await Assert.ThrowsAsync<AccessDeniedException>(() =>
            Creation.CreateAsync(GuestWorld.Principal(Roles.Viewer), new GuestCreateInput(hostId, "sneaky", Pool: "images")));

        Assert.Equal(before, DomainAndVolumeCount(hostId));
    }

    [Fact]
    public async Task Create_MissingPool_LibvirtMessageAndNothingCreated()
    {
        var hostId = await AddPrivateHostAsync();
        var before = DomainAndVolumeCount(hostId);

        var error = await Assert.ThrowsAsync<GuestActionException>(() =>
            Creation.CreateAsync(GuestWorld.Admin, new GuestCreateInput(hostId, "nopool", Pool: "missing")));

        Assert.StartsWith("Could not create nopool: ", error.Message);
        Assert.Equal(before, DomainAndVolumeCount(hostId));
    }
}

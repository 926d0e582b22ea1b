using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Guests;

/// <summary>Addresses from the guest agent of the tiny guest (virtio NIC, QEMU user networking: 10.0.2.15) on libvirtd.</summary>
[Collection(AppCollection.Name)]
public sealed class GuestAddressTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    // TCG on a loaded 2-core machine: the boot alone may take most of a minute.
    protected override TimeSpan Deadline => TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Addresses_AgentConnects_ListedWithoutLoopbackAndClearedWhenForcedOff()
    {
        var hostId = await GuestWorld.AddQemuHostAsync(Factory);
        await using var guest = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "addr" });
        var key = GuestState.KeyOf(hostId, guest.Domain.Uuid);

        // Nobody is looking at a guest page here: the agent connecting is what asks for the addresses.
        Assert.Equal(0, Service<GuestAddressPoller>().Lookers);
        var seen = await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.Addresses.Contains("10.0.2.15"), Deadline, "the agent reports 10.0.2.15");

        Assert.True(seen.HasAgent);
        Assert.DoesNotContain(seen.Addresses, a => a == "127.0.0.1" || a == "::1" || a.StartsWith("fe80:", StringComparison.OrdinalIgnoreCase));
        await Service<GuestService>().RunAsync(GuestWorld.Admin, hostId, guest.Domain.Uuid, GuestAction.ForceOff);
        await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.Addresses.Count == 0 && !g.IsActive, Deadline, "a stopped guest has no addresses");
    }
}

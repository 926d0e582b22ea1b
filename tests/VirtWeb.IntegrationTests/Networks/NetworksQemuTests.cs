using System.Text.Json;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Networks;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Networks;

/// <summary>
/// Networks and cards on libvirtd + QEMU with the tiny guest. Every network is created through VirtWeb as vwnet-…
/// with a vwn… bridge and removed in <see cref="DisposeAsync"/> whatever happened; the host's default network is never touched.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class NetworksQemuTests(VirtWebFactory factory) : IntegrationTest(factory), IAsyncLifetime
{
    private readonly List<string> _networks = [];
    private Guid _hostId;

    // TCG on a loaded 2-core machine: a boot alone may take most of a minute.
    protected override TimeSpan Deadline => TimeSpan.FromSeconds(120);

    private NetworkService Networks => Service<NetworkService>();

    private NicService Nics => Service<NicService>();

    public async Task InitializeAsync() => _hostId = await GuestWorld.AddQemuHostAsync(Factory);

    public Task DisposeAsync() => Task.Run(() => NetworkWorld.RemoveQemuNetworks(_networks));

    [Fact]
    public async Task IsolatedAndNatNetworks_GuestOnNat_CardAttachedSeenByAgentThenDetachedAndInUseDeleteRefused()
    {
        var nat = await CreateAsync(NetworkMode.Nat);
        var isolated = await CreateAsync(NetworkMode.Isolated);
        await using var guest = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwnet-nic", Network = nat.Name, Mac = "52:54:00:7e:01:01" }, Deadline);
        var key = GuestState.KeyOf(_hostId, guest.Domain.Uuid);
        await Eventually.ValueAsync(() => Store.Nics.Current(n => n.GuestKey == key).SingleOrDefault(), n => n.Network == nat.Name, Deadline, "the guest's card is listed");

        var duplicate = await Assert.ThrowsAsync<GuestActionException>(() =>
            Nics.AttachNicAsync(TestPrincipals.Of("olga", Roles.Operator), _hostId, guest.Domain.Uuid, new NicInput(isolated.Name, "e1000", "52:54:00:7E:01:01")));
        var attached = await Nics.AttachNicAsync(TestPrincipals.Of("olga", Roles.Operator), _hostId, guest.Domain.Uuid, new NicInput(isolated.Name, "virtio"));

        Assert.Contains("is already used by a card on this host", duplicate.Message);
        Assert.True(attached.Done, attached.Message);
        var second = await Eventually.ValueAsync(() => Store.Nics.Current(n => n.GuestKey == key && n.Network == isolated.Name).SingleOrDefault(), _ => true, Deadline, "the new card is listed");
        Assert.Equal("virtio", second.Model);
        await WaitForAgentMacsAsync(guest, macs => macs.Contains(second.Mac), "the guest's agent sees the new card");
        using (var domain = Connection(_hostId).GetDomainByUuid(guest.Domain.Uuid))
        {
            Assert.Contains(domain.GetDefinition(DomainXmlFlags.Inactive).Interfaces, i => i.MacAddress == second.Mac);
        }

        var inUse = await Assert.ThrowsAsync<NetworkException>(() => Networks.DeleteAsync(TestPrincipals.Administrator, _hostId, nat.Name));
        Assert.Contains($"{guest.Name} (running)", inUse.Message);

        var linkDown = await Nics.SetNicLinkAsync(TestPrincipals.Of("olga", Roles.Operator), _hostId, guest.Domain.Uuid, second.Mac, up: false);
        Assert.True(linkDown.Done, linkDown.Message);
        await Eventually.ValueAsync(() => Store.Nics.Find(second.Key), n => !n.LinkUp, Deadline, "the link shows down");

        var detached = await Nics.DetachNicAsync(TestPrincipals.Of("olga", Roles.Operator), _hostId, guest.Domain.Uuid, second.Mac);
        Assert.True(detached.Done, detached.Message);
        await WaitForAgentMacsAsync(guest, macs => !macs.Contains(second.Mac), "the card is gone from the guest");
        await Eventually.ValueAsync(() => Store.Nics.Find(second.Key) is null ? "gone" : null, _ => true, Deadline, "the card is gone from the list");
    }

    /// <summary>
    /// The issue's acceptance: a raw clone (same machine ID) on the same NAT network sends its source's DHCP client ID,
    /// so the Machine IDs page's duplicate group shows the shared client ID; after the clone's ID is regenerated and its
    /// DHCP client restarted, its lease changes and both the machine-ID group and the shared client ID are gone.
    /// </summary>
    [Fact]
    public async Task RawCloneOnNat_SharesClientIdInDuplicateGroup_GoneAfterRegenerateAndDhcpRestart()
    {
        var nat = await CreateAsync(NetworkMode.Nat);
        var registry = Service<VirtWeb.MachineIds.MachineIdRegistry>();
        var machineIds = Service<VirtWeb.MachineIds.MachineIdService>();
        var poller = Service<LeasePoller>();
        const string sourceMac = "52:54:00:7e:02:01", cloneMac = "52:54:00:7e:02:02";
        await using var a = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwnet-src", Network = nat.Name, Mac = sourceMac }, Deadline);
        var sharedId = await a.ReadMachineIdAsync();
        var sourceLease = await Eventually.ValueAsync(() => LeaseOf(sourceMac), l => l.ClientId is not null, Deadline, "the source's lease with a client ID");
        await Eventually.ValueAsync(() => poller.ClientIds.Find($"{_hostId}/{sourceMac}"), _ => true, Deadline, "the source's client ID is recorded");
        await a.ShutdownAsync(deadline: Deadline);
        var rawClone = await a.CloneDiskAsync();
        var b = TinyGuest.Define(new TinyGuestOptions { NamePrefix = "vwnet-cln", Disk = rawClone, Network = nat.Name, Mac = cloneMac });
        await using (b)
        {
            await a.StartAsync(Deadline);
            await b.StartAsync(Deadline);
            Assert.Equal(sharedId, await b.ReadMachineIdAsync());

            var cloneLease = await Eventually.ValueAsync(() => LeaseOf(cloneMac), l => l.ClientId is not null, Deadline, "the clone's lease");
            Assert.Equal(sourceLease.ClientId, cloneLease.ClientId);
            await Eventually.ValueAsync(() => registry.Duplicates().FirstOrDefault(d => d.MachineId == sharedId),
                d => d.Holders.Select(h => h.GuestUuid).Distinct().Count() == 2, Deadline, "the registry groups both guests");
            var shared = await Eventually.ValueAsync(() => Shared(sourceLease.ClientId!), s => s.Senders.Count == 2, Deadline, "the shared client ID of both cards");
            Assert.Equal(new[] { a.Name, b.Name }.Order(StringComparer.Ordinal), shared.Senders.Select(s => s.Guest!).Order(StringComparer.Ordinal));
            Assert.Equal(cloneMac, shared.HeldBy);

            var regenerated = await machineIds.RegenerateAsync(GuestWorld.Admin, _hostId, b.Domain.Uuid);
            Assert.True(regenerated.Done, regenerated.Message);
            var dhcp = await b.Agent.ExecAsync("/usr/libexec/virtweb/network", deadline: Deadline);
            Assert.True(dhcp.ExitCode == 0, $"the DHCP client failed: {dhcp}");
            poller.RefreshSoon();

            var renewed = await Eventually.ValueAsync(() => poller.ClientIds.Find($"{_hostId}/{cloneMac}"), s => s.ClientId != sourceLease.ClientId, Deadline, "the clone's new client ID");
            Assert.NotEqual(sourceLease.ClientId, renewed.ClientId);
            await Eventually.ValueAsync(() => Shared(sourceLease.ClientId!) is null ? "gone" : null, _ => true, Deadline, "the shared client ID is gone");
            Assert.DoesNotContain(registry.Duplicates(), d => d.MachineId == sharedId);
        }
    }

    private LeaseState? LeaseOf(string mac) => Store.Leases.Current(l => l.HostId == _hostId && l.Mac == mac).MaxBy(l => l.Expiry);

    // This test's own host only: other tests of the collection add qemu:///system hosts of their own, which see the same
    // DHCP clients and would each make a group of their own with the same client ID.
    private SharedClientId? Shared(string clientId) =>
        SharedClientIds.Find(
                Service<LeasePoller>().ClientIds.Current(s => s.HostId == _hostId),
                Store.Nics.Current(n => n.HostId == _hostId),
                Store.Leases.Current(l => l.HostId == _hostId))
            .FirstOrDefault(s => s.ClientId == clientId);

    private async Task<NetworkState> CreateAsync(NetworkMode mode)
    {
        var id = Guid.NewGuid().ToString("N");
        var name = $"vwnet-{id[..10]}";
        var octets = Convert.FromHexString(id[10..14]);
        var subnet = $"10.{150 + octets[0] % 50}.{octets[1]}";
        _networks.Add(name);
        await Networks.CreateAsync(TestPrincipals.Administrator, _hostId,
            new NetworkInput(name, mode, $"{subnet}.1/24", $"{subnet}.100", $"{subnet}.150", $"vwn{id[..10]}", Autostart: false));
        return await Eventually.ValueAsync(() => Store.Networks.Current(n => n.HostId == _hostId && n.Name == name).SingleOrDefault(), n => n.Active, Deadline, $"{name} runs");
    }

    private async Task WaitForAgentMacsAsync(TinyGuest guest, Func<IReadOnlyList<string>, bool> done, string what)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        IReadOnlyList<string> macs = [];
        while (!done(macs))
        {
            try
            {
                await Task.Delay(250, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what}; the agent reports {string.Join(", ", macs)}");
            }

            var reply = await guest.Agent.ExecuteAsync("guest-network-get-interfaces");
            macs = reply.EnumerateArray().Select(i => i.TryGetProperty("hardware-address", out var mac) ? mac.GetString() ?? "" : "").ToList();
        }
    }
}

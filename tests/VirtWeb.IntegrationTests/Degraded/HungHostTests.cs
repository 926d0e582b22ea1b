namespace VirtWeb.IntegrationTests.Degraded;

/// <summary>
/// Freezes the machine's libvirtd (SIGSTOP) under a connected VirtWeb, briefly, and always thaws it. Shares the
/// collection of the libvirtd fault test so that nothing else in this process uses libvirtd meanwhile.
/// </summary>
[Collection(VirtWeb.IntegrationTests.Hosts.LibvirtdFaultCollection.Name)]
public sealed class HungHostTests(VirtWebFactory factory) : GuestTest(factory), IClassFixture<VirtWebFactory>
{
    private const string SystemUri = "qemu:///system";

    /// <summary>The most an action on a frozen host may take before it must have answered.</summary>
    private static readonly TimeSpan ActionBound = TimeSpan.FromSeconds(10);

    // This test found a SIGSEGV of the process when the frozen connection was dropped (libvirt's client reused a stale
    // socket watch of a failed call once a second call on the same connection took over its I/O loop); calls on one
    // connection are now serialized in the binding (FrozenDaemonConnectionTests shows the mechanism on its own).
    [Fact]
    public async Task HungHost_LibvirtdStopped_ReadsNotAnsweringActionsFailClearlyOtherHostsWork()
    {
        var admin = TestPrincipals.Administrator;
        var qemu = await WithScopeAsync(s => s.GetRequiredService<HostService>().AddAsync(admin, new HostInput("vwdeg-frozen", SystemUri)));
        var key = qemu.Id.ToString();
        await Eventually.ValueAsync(() => Store.Hosts.Find(key), h => h.Connection == HostConnectionState.Connected, Deadline, "qemu:///system connects");
        var testHost = await AddPrivateHostAsync();
        var guestName = $"vwdeg-hung-{Guid.NewGuid():N}"[..20];
        Guid uuid;
        using (var libvirt = LibvirtConnection.Open(SystemUri))
        using (var domain = libvirt.DefineDomain(
                   $"<domain type='qemu'><name>{guestName}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" +
                   "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>"))
        {
            uuid = domain.Uuid;
        }

        try
        {
            await FreezeAndThawAsync(qemu.Id, testHost, uuid);
        }
        finally
        {
            using var libvirt = LibvirtConnection.Open(SystemUri);
            if (libvirt.ListDomains().FirstOrDefault(d => d.Name == guestName) is { } leftover)
            {
                using (leftover)
                {
                    leftover.Undefine();
                }
            }
        }
    }

    private async Task FreezeAndThawAsync(Guid qemuId, Guid testHost, Guid uuid)
    {
        var admin = TestPrincipals.Administrator;
        var key = qemuId.ToString();
        await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(qemuId, uuid)), _ => true, Deadline, "the new guest is listed");
        using (FrozenLibvirtd.Freeze())
        {
            // Keepalive 2 s x 3: libvirt gives up after about 8 s; 10 s is what the console promises.
            var frozen = await Eventually.ValueAsync(
                () => Store.Hosts.Find(key), h => h.Connection == HostConnectionState.Disconnected, TimeSpan.FromSeconds(10), "the frozen host reads not answering");
            Assert.Contains("not answering", frozen.Reason, StringComparison.Ordinal);

            var refused = await Assert.ThrowsAsync<GuestActionException>(
                () => Guests.RunAsync(admin, qemuId, uuid, GuestAction.Start).WaitAsync(ActionBound));
            Assert.Contains("not answering", refused.Message, StringComparison.Ordinal);

            // Meanwhile another host works as usual.
            var started = await Guests.RunAsync(admin, testHost, Db, GuestAction.Start).WaitAsync(ActionBound);
            Assert.True(started.Done, started.Message);
        }

        await Eventually.ValueAsync(() => Store.Hosts.Find(key), h => h.Connection == HostConnectionState.Connected, Deadline, "the host resyncs after SIGCONT");
        var guest = await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(qemuId, uuid)), _ => true, Deadline, "the guest is listed again");
        Assert.Equal(DomainState.Shutoff, guest.State);
    }
}

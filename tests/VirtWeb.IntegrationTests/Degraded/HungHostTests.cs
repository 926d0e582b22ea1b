namespace VirtWeb.IntegrationTests.Degraded;

/// <summary>
/// Freezes a libvirtd of the test's own (<see cref="PrivateLibvirtd"/>, SIGSTOP) under a connected VirtWeb and always
/// thaws it. The machine's shared libvirtd is never touched: the frozen host is qemu:///session on the private daemon.
/// </summary>
public sealed class HungHostTests(PrivateLibvirtdFactory factory) : GuestTest(factory), IClassFixture<PrivateLibvirtdFactory>
{
    private const string SessionUri = "qemu:///session";

    /// <summary>The most an action on a frozen host may take before it must have answered.</summary>
    private static readonly TimeSpan ActionBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task HungHost_LibvirtdStopped_ReadsNotAnsweringActionsFailClearlyOtherHostsWork()
    {
        var admin = TestPrincipals.Administrator;
        var qemu = await WithScopeAsync(s => s.GetRequiredService<HostService>().AddAsync(admin, new HostInput("vwdeg-frozen", SessionUri)));
        var key = qemu.Id.ToString();
        await Eventually.ValueAsync(() => Store.Hosts.Find(key), h => h.Connection == HostConnectionState.Connected, Deadline, "the private qemu:///session connects");
        var testHost = await AddPrivateHostAsync();
        var guestName = $"vwdeg-hung-{Guid.NewGuid():N}"[..20];
        Guid uuid;
        using (var libvirt = LibvirtConnection.Open(factory.Daemon.Uri))
        using (var domain = libvirt.DefineDomain(
                   $"<domain type='qemu'><name>{guestName}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" +
                   "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>"))
        {
            uuid = domain.Uuid;
        }

        await FreezeAndThawAsync(qemu.Id, testHost, uuid);
    }

    private async Task FreezeAndThawAsync(Guid qemuId, Guid testHost, Guid uuid)
    {
        var admin = TestPrincipals.Administrator;
        var key = qemuId.ToString();
        try
        {
            await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(qemuId, uuid)), _ => true, Deadline, "the new guest is listed");
            factory.Daemon.Freeze();

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
        finally
        {
            factory.Daemon.Thaw();
        }

        await Eventually.ValueAsync(() => Store.Hosts.Find(key), h => h.Connection == HostConnectionState.Connected, Deadline, "the host resyncs after SIGCONT");
        var guest = await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(qemuId, uuid)), _ => true, Deadline, "the guest is listed again");
        Assert.Equal(DomainState.Shutoff, guest.State);
    }
}

using System.Diagnostics;

namespace VirtWeb.IntegrationTests.Hosts;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LibvirtdFaultCollection
{
    public const string Name = "Kills the machine's libvirtd";
}

/// <summary>
/// Kills the real libvirtd under a connected VirtWeb and starts it again. Runs alone: nothing else in this
/// process may use libvirtd meanwhile (./test.sh also runs the test projects one after another).
/// </summary>
[Collection(LibvirtdFaultCollection.Name)]
public sealed class LibvirtdFaultTests(VirtWebFactory factory, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<VirtWebFactory>
{
    private const string SystemUri = LibvirtdDaemon.SystemUri;

    [Fact]
    public async Task Libvirtd_KilledAndRestarted_HostDisconnectsThenResyncsWithoutStaleGuests()
    {
        var store = factory.Services.GetRequiredService<LiveStateStore>();
        var admin = TestPrincipals.Administrator;
        var host = await factory.WithScopeAsync(s => s.GetRequiredService<HostService>().AddAsync(admin, new HostInput("local-qemu", SystemUri)));
        var key = host.Id.ToString();
        var connected = await Eventually.ValueAsync(() => store.Hosts.Find(key), h => h.Connection == HostConnectionState.Connected, TimeSpan.FromSeconds(30), "qemu:///system connects");
        var baseline = store.GuestCountsOf(host.Id).ShutOff;

        var guestName = $"virtweb-fault-{Guid.NewGuid():N}"[..24];
        using (var libvirt = LibvirtConnection.Open(SystemUri))
        using (libvirt.DefineDomain(MinimalDomainXml(guestName)))
        {
        }

        try
        {
            await Eventually.ValueAsync(() => store.GuestCountsOf(host.Id), c => c.ShutOff == baseline + 1, TimeSpan.FromSeconds(10), "the new guest is counted");

            var killed = Stopwatch.StartNew();
            await LibvirtdDaemon.StopAsync();
            await Eventually.ValueAsync(() => store.Hosts.Find(key), h => h.Connection == HostConnectionState.Disconnected, TimeSpan.FromSeconds(5), "the host reads Disconnected");
            var disconnectedAfter = killed.Elapsed;

            // While the daemon is down its guest disappears, as if someone removed it behind VirtWeb's back.
            File.Delete($"/etc/libvirt/qemu/{guestName}.xml");

            LibvirtdDaemon.Start();
            var restarted = Stopwatch.StartNew();
            var resynced = await Eventually.ValueAsync(
                () => store.Hosts.Find(key),
                h => h.Connection == HostConnectionState.Connected,
                TimeSpan.FromSeconds(10),
                "the host is Connected again");

            output.WriteLine($"Disconnected {disconnectedAfter.TotalMilliseconds:0} ms after SIGTERM to libvirtd; " +
                $"Connected and resynced {restarted.Elapsed.TotalMilliseconds:0} ms after it was started again.");
            Assert.Equal(baseline, store.GuestCountsOf(host.Id).ShutOff);
            Assert.NotNull(resynced.Facts);
            Assert.True(disconnectedAfter < TimeSpan.FromSeconds(5));
            Assert.True(restarted.Elapsed < TimeSpan.FromSeconds(10));
        }
        finally
        {
            await LibvirtdDaemon.StartAndWaitAsync();
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

    private static string MinimalDomainXml(string name) =>
        $"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" +
        "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>";
}

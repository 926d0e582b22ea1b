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
    private const string SystemUri = "qemu:///system";

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
            await StopLibvirtdAsync();
            await Eventually.ValueAsync(() => store.Hosts.Find(key), h => h.Connection == HostConnectionState.Disconnected, TimeSpan.FromSeconds(5), "the host reads Disconnected");
            var disconnectedAfter = killed.Elapsed;

            // While the daemon is down its guest disappears, as if someone removed it behind VirtWeb's back.
            File.Delete($"/etc/libvirt/qemu/{guestName}.xml");

            StartLibvirtd();
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
            StartLibvirtd();
            await WaitForLibvirtdAsync();
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

    // The scripts start libvirtd with the project's own config (libvirtd -f), which lets the unprivileged VirtWeb
    // user in, and on a hybrid cgroup layout inside a mount namespace of its own, without which lxc:/// cannot start
    // a container. The killed process's command line carries neither the namespace nor the way to make it, so the
    // restart goes through the scripts' own start_libvirtd.
    private static readonly string CommonScript = FindCommonScript();

    private static string FindCommonScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "scripts", "common.sh");
            if (File.Exists(script))
            {
                return script;
            }
        }

        throw new InvalidOperationException($"scripts/common.sh not found above {AppContext.BaseDirectory}");
    }

    private static async Task StopLibvirtdAsync()
    {
        var pids = Run("pidof", "libvirtd").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.NotEmpty(pids);
        Run("kill", ["-TERM", .. pids.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (pids.Any(p => Directory.Exists($"/proc/{p}")))
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    private static void StartLibvirtd()
    {
        if (string.IsNullOrWhiteSpace(Run("pidof", "libvirtd", allowFailure: true)))
        {
            Run("bash", "-c", "source \"$0\" && start_libvirtd", CommonScript);
        }
    }

    private static async Task WaitForLibvirtdAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                using var probe = LibvirtConnection.Open(SystemUri);
                return;
            }
            catch (LibvirtException)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private static string Run(string file, params string[] arguments) => Run(file, arguments, allowFailure: false);

    private static string Run(string file, string argument, bool allowFailure) => Run(file, [argument], allowFailure);

    private static string Run(string file, string[] arguments, bool allowFailure)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {process.StandardError.ReadToEnd()}");
        }

        return output.Trim();
    }
}

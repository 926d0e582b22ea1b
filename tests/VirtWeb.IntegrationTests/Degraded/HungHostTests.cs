using System.Diagnostics;

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

    // Skipped until the crash it found is fixed: run twice on 2026-12-03, the test host died with SIGSEGV (exit 139)
    // right after the frozen host was dropped ("client socket is closed"), so a run would take every later test of
    // this project with it. Unskip it with the fix; it always thaws libvirtd in its finally.
    [Fact(Skip = "Found a native crash (SIGSEGV) when a frozen qemu:///system connection is dropped; see the comment above.")]
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
        var pids = Run("pidof", "libvirtd").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(pids);
        try
        {
            await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(qemuId, uuid)), _ => true, Deadline, "the new guest is listed");
            Run("kill", ["-STOP", .. pids]);

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
            Run("kill", ["-CONT", .. pids]);
        }

        await Eventually.ValueAsync(() => Store.Hosts.Find(key), h => h.Connection == HostConnectionState.Connected, Deadline, "the host resyncs after SIGCONT");
        var guest = await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(qemuId, uuid)), _ => true, Deadline, "the guest is listed again");
        Assert.Equal(DomainState.Shutoff, guest.State);
    }

    private static string Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output.Trim()
            : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {process.StandardError.ReadToEnd()}");
    }
}

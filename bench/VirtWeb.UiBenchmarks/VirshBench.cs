using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VirtWeb.Hosts;
using VirtWeb.IntegrationTests.Guests;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.UiBenchmarks;

/// <summary>
/// An outside observer's latency on qemu:///system: <c>virsh start</c> / <c>virsh destroy</c> spawned as a process (t0 right
/// before the spawn), the guest's row read in Chromium by a MutationObserver in the page's clock. The time that counts
/// is from virsh returning to the row changing (negative when the row changed first), as for the peers.
/// Every domain it defines is named vwlive-…, shut off, and undefined at the end.
/// </summary>
public sealed class VirshBench(KestrelVirtWebFactory app, GuestListBench list) : IAsyncDisposable
{
    public const string Prefix = "vwlive-";

    private readonly LibvirtConnection _connection = LibvirtConnection.Open("qemu:///system");
    private readonly List<LibvirtDomain> _defined = [];

    /// <summary>The guest started and destroyed; "vwlive-0…" sorts before the others, to the top of the list.</summary>
    public string Target { get; } = $"{Prefix}0-target-{Guid.NewGuid():N}"[..28];

    public int Others { get; private set; }

    public Task<Guid> AddHostAsync() => GuestWorld.AddQemuHostAsync(app);

    public void DefineTarget() => _defined.Add(_connection.DefineDomain(Xml(Target)));

    /// <summary>Defines shut-off guests until <paramref name="others"/> besides the target exist, then waits until the app lists them.</summary>
    public async Task GrowToAsync(Guid hostId, int others)
    {
        for (; Others < others; Others++)
        {
            _defined.Add(_connection.DefineDomain(Xml($"{Prefix}1-{Others:D5}")));
        }

        var store = app.Services.GetRequiredService<LiveStateStore>();
        var deadline = Stopwatch.StartNew();
        while (store.Guests.Current(g => g.HostId == hostId && g.Name.StartsWith(Prefix, StringComparison.Ordinal)).Count < others + 1)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException($"The app did not list {others + 1} {Prefix} guests within 5 minutes.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>One run: <paramref name="cycles"/> starts and as many destroys, alternating.</summary>
    public async Task<VirshRun> RunAsync(Guid hostId, int cycles)
    {
        var context = await list.SignedInContextAsync();
        var page = await GuestListBench.OpenListAsync(context);
        await page.Locator("[data-testid=guests-table] tbody tr", new() { HasText = Target }).First.WaitForAsync(new() { Timeout = 60_000 });
        await page.EvaluateAsync(GuestListBench.ObserverScript, Target);
        var connection = app.Services.GetRequiredService<IHostConnections>().GetConnection(hostId);
        var run = new VirshRun();
        for (var i = 0; i < cycles * 2; i++)
        {
            var start = i % 2 == 0;
            var seen = await page.EvaluateAsync<int>("window.__vw.changes.length");
            var calls = connection.CallCount;
            var spawned = GuestListBench.NowMs();
            await VirshAsync(start ? "start" : "destroy");
            var returned = GuestListBench.NowMs();
            // QEMU passes through "Shutting down" on its way out, and libvirt says so: the time counted is the end state's.
            var expected = start ? "Running" : "Shut off";
            var change = await GuestListBench.NextChangeAsync(page, seen++);
            while (change.Text != expected)
            {
                run.Intermediate.Add(change.Text);
                change = await GuestListBench.NextChangeAsync(page, seen++);
            }

            (start ? run.Start : run.Destroy).Add(new(change.At - returned, change.At - spawned, returned - spawned));
            // The calls of the previous command's event (its re-read ends after the row changed) are counted by the next.
            if (i > 0)
            {
                run.CallsPerCommand.Add(calls - run.LastCalls);
            }

            run.LastCalls = calls;
        }

        await page.CloseAsync();
        return run;
    }

    private async Task VirshAsync(string command)
    {
        using var virsh = Process.Start(new ProcessStartInfo("virsh", ["-q", "-c", "qemu:///system", command, Target])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var error = virsh.StandardError.ReadToEndAsync();
        await virsh.StandardOutput.ReadToEndAsync();
        await virsh.WaitForExitAsync();
        if (virsh.ExitCode != 0)
        {
            throw new InvalidOperationException($"virsh {command} {Target} failed: {await error}");
        }
    }

    private static string Xml(string name) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>32</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
        </domain>
        """;

    public ValueTask DisposeAsync()
    {
        foreach (var domain in _defined)
        {
            try
            {
                if (domain.IsActive)
                {
                    domain.Destroy();
                }

                domain.Undefine();
            }
            catch (LibvirtException e)
            {
                Console.Error.WriteLine($"Could not remove {domain.Name}: {e.Message}");
            }

            domain.Dispose();
        }

        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One sample: from virsh returning to the row, from spawning virsh to the row, and virsh's own time (ms).</summary>
public sealed record VirshSample(double FromReturn, double FromSpawn, double Virsh);

public sealed class VirshRun
{
    public List<VirshSample> Start { get; } = [];

    public List<VirshSample> Destroy { get; } = [];

    public List<double> CallsPerCommand { get; } = [];

    /// <summary>States the row showed between the command and its end state.</summary>
    public List<string> Intermediate { get; } = [];

    internal long LastCalls { get; set; }
}

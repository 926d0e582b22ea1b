using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using VirtWeb.Guests;
using VirtWeb.Hosts;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.Libvirt;

namespace VirtWeb.UiBenchmarks;

/// <summary>One run of the load bench at one number of watchers.</summary>
public sealed record LoadRun(
    int Watchers, int HubClients, int Circuits, int Samples, double P50, double P95, double P99, double StoreP95, double HubP95, double CircuitP95, int Lost, int OutOfOrder, int Mismatches,
    long PeakRss, long PeakHeap, double CpuSeconds, double HubClientsCpuSeconds, double Seconds, string LoadBefore, string LoadAfter);

/// <summary>
/// Many signed-in watchers of one host during a bulk start and then stop of its first guests. The actions are issued
/// from outside the app, as virsh on the hypervisor would: one libvirt call per guest on the app's own connection to
/// the test-driver world (each test:/// connection has a private copy of its world), t0 read right before each call.
/// The app then has a burst of events to carry to every watcher: hub clients (<see cref="HubWatchers"/>, a process of
/// their own) and Blazor circuits in Chromium (<see cref="CircuitWatchers"/>). After the run each watcher's view is
/// compared with libvirt's list of the host's domains. Memory and CPU are this process's, which is the app plus the
/// bench's thin driver (the libvirt calls, Playwright's client); the hub clients and Chromium run elsewhere.
/// </summary>
public sealed class LoadBench(KestrelVirtWebFactory app, Guid hostId, string prefix, int guests, int bulk)
{
    public async Task<LoadRun> RunAsync(int hubClients, CircuitWatchers circuits)
    {
        await using var hub = await HubWatchers.StartAsync(app.ServerAddress, hostId, hubClients);
        var connection = app.Services.GetRequiredService<IHostConnections>().GetConnection(hostId);
        var domains = Enumerable.Range(0, bulk).Select(i => connection.GetDomainByName(GuestListBench.Name(prefix, i))).ToList();
        try
        {
            await hub.MarkAsync();
            await circuits.MarkAsync();
            var loadBefore = LoadAverage();
            // The app's own store, read in process: how much of event-to-screen is libvirt's event reaching the store
            // (its batch window, 75 ms at most, included) and how much the way from there to the watchers.
            using var stopStore = new CancellationTokenSource();
            var storeSeen = new List<(string Key, DomainState State, double At)>();
            var storeSubscription = app.Services.GetRequiredService<VirtWeb.Live.LiveStateStore>().Guests.Subscribe(g => g.HostId == hostId, stopStore.Token);
            var storeReading = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in storeSubscription.Changes)
                    {
                        var at = GuestListBench.NowMs();
                        storeSeen.AddRange(batch.Where(c => c.Item is not null).Select(c => (c.Key, c.Item!.State, at)));
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
            using var sampler = new ResourceSampler();
            var clock = Stopwatch.StartNew();
            var targets = new List<LoadTarget>(bulk * 2);
            targets.AddRange(await ActAsync(domains, DomainState.Running, d => d.Start()));
            await hub.AwaitAsync(DomainState.Running, bulk, TimeSpan.FromMinutes(5));
            await circuits.AwaitAsync(DomainState.Running, TimeSpan.FromMinutes(5));
            targets.AddRange(await ActAsync(domains, DomainState.Shutoff, d => d.Destroy()));
            await hub.AwaitAsync(DomainState.Shutoff, guests, TimeSpan.FromMinutes(5));
            await circuits.AwaitAsync(DomainState.Shutoff, TimeSpan.FromMinutes(5));
            var seconds = clock.Elapsed.TotalSeconds;
            var (peakRss, peakHeap, cpu) = sampler.Stop();
            await stopStore.CancelAsync();
            await storeReading;
            var toStore = targets.Select(t => storeSeen.FirstOrDefault(s => s.Key == t.Key && s.State == t.State && s.At >= t.T0) is { Key: not null } s ? s.At - t.T0 : double.NaN)
                .Where(l => !double.IsNaN(l)).ToList();
            var loadAfter = LoadAverage();

            // libvirt's own list, the `virsh list --all` of this world, against what each watcher ends with.
            var listed = connection.ListDomains().Select(d =>
            {
                using (d)
                {
                    return (Key: GuestState.KeyOf(hostId, d.Uuid), d.Name, d.GetState().State);
                }
            }).ToList();
            var fromHub = await hub.ReportAsync(targets, listed.ToDictionary(d => d.Key, d => d.State, StringComparer.Ordinal));
            var fromCircuits = await circuits.ReportAsync(targets, listed.ToDictionary(d => d.Name, d => d.State, StringComparer.Ordinal));
            var latencies = fromHub.Latencies.Concat(fromCircuits.Latencies).ToList();
            return new LoadRun(
                hubClients + circuits.Count, hubClients, circuits.Count, latencies.Count,
                BenchStats.Percentile(latencies, 50), BenchStats.Percentile(latencies, 95), BenchStats.Percentile(latencies, 99),
                toStore.Count == 0 ? double.NaN : BenchStats.Percentile(toStore, 95), BenchStats.Percentile(fromHub.Latencies, 95), BenchStats.Percentile(fromCircuits.Latencies, 95),
                fromHub.Lost + fromCircuits.Lost, fromHub.OutOfOrder + fromCircuits.OutOfOrder, fromHub.Mismatches + fromCircuits.Mismatches,
                peakRss, peakHeap, cpu, fromHub.CpuSeconds, seconds, loadBefore, loadAfter);
        }
        finally
        {
            domains.ForEach(d => d.Dispose());
        }
    }

    /// <summary>The 1-, 5- and 15-minute load averages: the machine is shared, and the numbers mean little without them.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private Task<List<LoadTarget>> ActAsync(IReadOnlyList<LibvirtDomain> domains, DomainState state, Action<LibvirtDomain> act) =>
        Task.Run(() =>
        {
            var targets = new List<LoadTarget>(domains.Count);
            foreach (var domain in domains)
            {
                var t0 = GuestListBench.NowMs();
                act(domain);
                targets.Add(new LoadTarget(GuestState.KeyOf(hostId, domain.Uuid), domain.Name, state, t0));
            }

            return targets;
        });

    /// <summary>This process's peak resident set and managed heap (sampled every 100 ms) and its CPU time, from creation to <see cref="Stop"/>.</summary>
    private sealed class ResourceSampler : IDisposable
    {
        private readonly Process _self = Process.GetCurrentProcess();
        private readonly TimeSpan _cpuBefore;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampling;
        private long _peakRss;
        private long _peakHeap;

        public ResourceSampler()
        {
            _cpuBefore = _self.TotalProcessorTime;
            _sampling = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
                do
                {
                    Sample();
                }
                while (await timer.WaitForNextTickAsync(_stop.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
            });
        }

        public (long PeakRss, long PeakHeap, double CpuSeconds) Stop()
        {
            _stop.Cancel();
            _sampling.Wait();
            Sample();
            _self.Refresh();
            return (_peakRss, _peakHeap, (_self.TotalProcessorTime - _cpuBefore).TotalSeconds);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _sampling.Wait();
            _stop.Dispose();
            _self.Dispose();
        }

        private void Sample()
        {
            _self.Refresh();
            _peakRss = Math.Max(_peakRss, _self.WorkingSet64);
            _peakHeap = Math.Max(_peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
        }
    }
}

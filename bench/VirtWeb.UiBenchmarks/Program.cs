using Microsoft.Extensions.DependencyInjection;
using System.Globalization;
using Microsoft.Playwright;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.UiBenchmarks;
using static VirtWeb.UiBenchmarks.BenchStats;

// The guest list in Chromium (issue 5's targets). Needs PostgreSQL (VIRTWEB_TEST_POSTGRES, as for the tests) and
// Debian's /usr/bin/chromium; makes its own database and test-driver worlds and removes the database after.
//   dotnet run -c Release --project bench/VirtWeb.UiBenchmarks -- [all|latency|list|search|bulk|virsh|memory] [--changes 200] [--guests 5000]
//     [--runs 3] [--cycles 20] [--rounds 25] [--bulk 500] [--requests 2000] [--clients 8]
// api: GET /api/v1/guests?page=1 with a token against the hub's WatchHost, at --guests; the API's rate limit is lifted for it.
// usage: one sampling round at --guests running guests (time, allocations, rows) and the history after a simulated
//   month at --guests (every tier written with generate_series).
// usage-latency: the guest list's event-to-screen latency at --guests guests with sampling on and off (an app each,
//   Usage:Enabled), --runs runs of --changes changes each.
// virsh needs libvirtd (qemu:///system) and virsh; it defines up to 5,001 shut-off vwlive-… guests there and removes them.
// load: --watchers 100 signed-in watchers (--circuits 10 Chromium circuits, the rest hub clients in a process of their
//   own) of one host with --guests guests during a start and then a stop of --bulk of them, --runs times, then the
//   watchers doubled up to --max-watchers 3200 until p95 passes 100 ms or the app's memory 2 GiB (LoadDegradation);
//   --past-the-limit goes on doubling to --max-watchers.
var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
if (mode is HubWatcherProcess.Mode)
{
    return await HubWatcherProcess.RunAsync(args);
}

var changes = Option("--changes", 200);
var guests = Option("--guests", 5000);
var runs = Option("--runs", 3);
if (mode is not ("all" or "latency" or "list" or "search" or "bulk" or "virsh" or "memory" or "api" or "usage" or "usage-latency" or "load"))
{
    Console.Error.WriteLine($"Unknown mode '{mode}': use all, latency, list, search, bulk, virsh, memory, api, usage, usage-latency or load.");
    return 2;
}

if (mode is "api")
{
    // The bench measures the server, not the limiter that would answer 429 after 600 calls a minute.
    Environment.SetEnvironmentVariable("Api__RateLimit__PerTokenPerMinute", "100000000");
    Environment.SetEnvironmentVariable("Api__RateLimit__PerUserPerMinute", "100000000");
}

// WebApplicationFactory finds the app's content root through MvcTestingAppManifest.json in the current directory.
Directory.SetCurrentDirectory(AppContext.BaseDirectory);
var rows = new List<BenchRow>();
IReadOnlyList<LoadRun> loadRuns = [];
var app = new KestrelVirtWebFactory();
await app.InitializeAsync();
using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new()
{
    ExecutablePath = "/usr/bin/chromium",
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try
{
    await using var bench = new GuestListBench(app, browser);
    if (mode is "usage")
    {
        rows.AddRange(await UsageBench.RoundAsync(app, guests, runs));
        rows.AddRange(await UsageBench.MonthAsync(app, guests));
    }

    if (mode is "usage-latency")
    {
        foreach (var sampling in new[] { true, false })
        {
            var result = await UsageLatencyBench.RunAsync(browser, sampling, guests, changes, runs);
            var label = $"event to screen, {guests:N0} guests, sampling {(sampling ? "on" : "off")}";
            rows.Add(new($"{label}: p50 (median of {runs} runs, {changes} changes each)", Ms(Median(result.Runs, 50)), ""));
            rows.Add(new($"{label}: p95", Ms(Median(result.Runs, 95)), "< 150 ms"));
            rows.Add(new($"{label}: max", Ms(result.Runs.Max(r => r.Max())), ""));
            rows.Add(new($"{label}: sampling rounds during each run", string.Join(", ", result.RoundsDuring), sampling ? "> 0" : "0"));
        }
    }

    if (mode is "all" or "latency")
    {
        var world = GuestListBench.WriteWorld("small", 10);
        var small = await bench.AddWorldAsync(world, 10);
        var name = GuestListBench.Name("small", 0);
        await bench.LatencyAsync(small, name, 20); // warm-up: JIT, circuit, Chromium caches
        var latencies = await bench.LatencyAsync(small, name, changes);
        File.Delete(world);
        rows.Add(new($"event to screen, 10 guests: p50 ({changes} changes)", Ms(Percentile(latencies, 50)), ""));
        rows.Add(new($"event to screen, 10 guests: p95", Ms(Percentile(latencies, 95)), "< 150 ms"));
        rows.Add(new($"event to screen, 10 guests: max", Ms(latencies.Max()), ""));
    }

    if (mode is "all" or "list")
    {
        var world = GuestListBench.WriteWorld("large", guests);
        var name = GuestListBench.Name("large", 0);
        var large = await bench.AddWorldAsync(world, guests);
        var server = await bench.ServerRenderAsync(5);
        var context = await bench.SignedInContextAsync();
        var cold = await bench.LoadAsync(context);
        var warm = new List<(double FirstRows, double Interactive)>();
        for (var i = 0; i < 5; i++)
        {
            warm.Add(await bench.LoadAsync(context));
        }

        rows.Add(new($"{guests:N0} guests: first rows, first load", Ms(cold.FirstRows), "< 1 s"));
        rows.Add(new($"{guests:N0} guests: first rows, median of 5 loads", Ms(Percentile(warm.Select(w => w.FirstRows).ToList(), 50)), "< 1 s"));
        rows.Add(new($"{guests:N0} guests: live (circuit up), median of 5", Ms(Percentile(warm.Select(w => w.Interactive).ToList(), 50)), ""));
        rows.Add(new($"{guests:N0} guests: server-rendered page over HTTP, median of 5", Ms(Percentile(server.Select(s => s.Milliseconds).ToList(), 50)), ""));
        rows.Add(new($"{guests:N0} guests: server-rendered page size", Bytes(server[^1].Bytes), ""));

        var (toBrowser, fromBrowser) = await bench.BytesPerChangeAsync(large, name, 20);
        rows.Add(new($"{guests:N0} guests: bytes to the browser per change, median of 20", Bytes(Percentile(toBrowser.Select(b => (double)b).ToList(), 50)), "< 2 KB"));
        rows.Add(new($"{guests:N0} guests: bytes to the browser per change, max", Bytes(toBrowser.Max()), ""));
        rows.Add(new($"{guests:N0} guests: bytes from the browser per change (acks), median", Bytes(Percentile(fromBrowser.Select(b => (double)b).ToList(), 50)), ""));

        var latencies = await bench.LatencyAsync(large, name, changes);
        rows.Add(new($"event to screen, {guests:N0} guests: p50 ({changes} changes)", Ms(Percentile(latencies, 50)), ""));
        rows.Add(new($"event to screen, {guests:N0} guests: p95", Ms(Percentile(latencies, 95)), "< 150 ms"));
        File.Delete(world);
    }

    if (mode is "search")
    {
        var world = GuestListBench.WriteWorld("search", guests);
        await bench.AddWorldAsync(world, guests);
        var search = new SearchBench(app, bench);
        await search.RunAsync(3, guests, seed: 0); // warm-up
        var perRun = new List<IReadOnlyList<double>>();
        for (var run = 1; run <= runs; run++)
        {
            perRun.Add(await search.RunAsync(Option("--rounds", 25), guests, seed: run));
        }

        rows.Add(new($"search keystroke to rows, {guests:N0} guests: p50 (median of {runs} runs, {perRun[0].Count} keys each)", Ms(Median(perRun, 50)), ""));
        rows.Add(new($"search keystroke to rows, {guests:N0} guests: p95", Ms(Median(perRun, 95)), "<= 100 ms"));
        File.Delete(world);
    }

    if (mode is "bulk")
    {
        var count = Option("--bulk", 500);
        var results = new List<(int RenderBatches, int Frames, double Seconds)>();
        for (var run = 1; run <= runs; run++)
        {
            var world = GuestListBench.WriteWorld($"bulk{run}", count, allShutOff: true);
            var host = await bench.AddWorldAsync(world, count);
            results.Add(await new BulkBench(app, bench).RunAsync(host, count));
            await app.WithScopeAsync(async s =>
            {
                await s.GetRequiredService<VirtWeb.Hosts.HostService>().RemoveAsync(GuestListBench.Admin, host);
                return host;
            });
            File.Delete(world);
        }

        rows.Add(new($"bulk start of {count} guests: render batches sent to the page (median of {runs})", $"{results.Select(r => (double)r.RenderBatches).Order().ElementAt(runs / 2)}", "<= 20"));
        rows.Add(new($"bulk start of {count} guests: websocket frames to the page (median)", $"{results.Select(r => (double)r.Frames).Order().ElementAt(runs / 2)}", ""));
        rows.Add(new($"bulk start of {count} guests: click to all running (median)", Ms(1000 * results.Select(r => r.Seconds).Order().ElementAt(runs / 2)), ""));
    }

    if (mode is "memory")
    {
        var world = GuestListBench.WriteWorld("memory", guests);
        await bench.AddWorldAsync(world, guests);
        var memory = new MemoryBench(bench, browser);
        var virtWeb = new List<double>();
        var template = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            virtWeb.Add(await memory.VirtWebPerCircuitAsync());
            template.Add(await memory.TemplatePerCircuitAsync());
        }

        var ours = virtWeb.Order().ElementAt(runs / 2);
        var theirs = template.Order().ElementAt(runs / 2);
        rows.Add(new($"circuit heap, /guests at {guests:N0} guests (median of {runs}, {MemoryBench.Circuits} circuits each)", Kib(ours), ""));
        rows.Add(new($"circuit heap, template counter page (median of {runs})", Kib(theirs), ""));
        if (memory.Rows is { } probe)
        {
            rows.Add(new("guest rows in the DOM of /guests (last page)", $"{probe.Rows}", ""));
            rows.Add(new("one row's height / the scroll box's height", $"{probe.RowHeight.ToString("0.#", CultureInfo.InvariantCulture)} / {probe.ViewportHeight.ToString("0", CultureInfo.InvariantCulture)} px", ""));
        }

        rows.Add(new("circuit heap, /guests vs the template's counter page", $"{(ours / theirs).ToString("0.0", CultureInfo.InvariantCulture)}x", "<= 2x"));
        File.Delete(world);
    }

    if (mode is "api")
    {
        var world = GuestListBench.WriteWorld("api", guests);
        var host = await bench.AddWorldAsync(world, guests);
        var api = new ApiListBench(app);
        var token = await api.TokenAsync();
        var requests = Option("--requests", 2000);
        var clients = Option("--clients", 8);
        var perRun = new List<(ThroughputRun Api, ThroughputRun Hub)>();
        for (var run = 1; run <= runs; run++)
        {
            perRun.Add((await api.ApiAsync(token, requests, clients), await api.HubAsync(host, Math.Max(clients * 10, requests / 20), clients)));
        }

        foreach (var (label, pick) in new (string, Func<(ThroughputRun Api, ThroughputRun Hub), ThroughputRun>)[]
                 {
                     ($"GET /api/v1/guests?page=1 with a token, {guests:N0} guests", r => r.Api),
                     ($"hub WatchHost (whole host) with the cookie, {guests:N0} guests", r => r.Hub),
                 })
        {
            var results = perRun.Select(pick).ToList();
            var middle = results.OrderBy(r => r.PerSecond).ElementAt(runs / 2);
            rows.Add(new($"{label}: requests/s (median of {runs} runs, {middle.Requests} calls, {middle.Clients} clients)", middle.PerSecond.ToString("0", CultureInfo.InvariantCulture), ""));
            rows.Add(new($"{label}: p50", Ms(middle.P50), ""));
            rows.Add(new($"{label}: p99", Ms(middle.P99), ""));
            rows.Add(new($"{label}: guests per answer", $"{middle.GuestsPerCall}", ""));
        }

        File.Delete(world);
    }

    if (mode is "load")
    {
        var count = Option("--bulk", 500);
        var world = GuestListBench.WriteWorld("load", guests, allShutOff: true);
        var host = await bench.AddWorldAsync(world, guests);
        var circuits = new CircuitWatchers(bench);
        await circuits.OpenAsync(Option("--circuits", 10), "load", count);
        loadRuns = await LoadDegradation.RunAsync(new LoadBench(app, host, "load", guests, count), circuits, Option("--watchers", 100), runs, Option("--max-watchers", 3200), args.Contains("--past-the-limit"));
        File.Delete(world);
    }

    if (mode is "virsh")
    {
        await using var virsh = new VirshBench(app, bench);
        var host = await virsh.AddHostAsync();
        virsh.DefineTarget();
        var cycles = Option("--cycles", 20);
        foreach (var others in new[] { 1, 1_000, 5_000 })
        {
            await virsh.GrowToAsync(host, others);
            await virsh.RunAsync(host, 3); // warm-up
            var results = new List<VirshRun>();
            for (var run = 1; run <= runs; run++)
            {
                results.Add(await virsh.RunAsync(host, cycles));
            }

            foreach (var (what, samples) in new[] { ("start", results.Select(r => r.Start).ToList()), ("destroy", results.Select(r => r.Destroy).ToList()) })
            {
                var label = $"virsh {what} returned to row, {others + 1:N0} vwlive guests";
                rows.Add(new($"{label}: p50 (median of {runs} runs, {cycles} each)", Ms(Median(samples.Select(s => s.Select(x => x.FromReturn).ToList()).ToList(), 50)), ""));
                rows.Add(new($"{label}: p95", Ms(Median(samples.Select(s => s.Select(x => x.FromReturn).ToList()).ToList(), 95)), others < 1_000 ? "<= 20 ms" : "<= 30 ms"));
                rows.Add(new($"{label}: spawn to row p50", Ms(Median(samples.Select(s => s.Select(x => x.FromSpawn).ToList()).ToList(), 50)), ""));
                rows.Add(new($"{label}: virsh itself p50", Ms(Median(samples.Select(s => s.Select(x => x.Virsh).ToList()).ToList(), 50)), ""));
            }

            rows.Add(new($"rows passing through another state first, {others + 1:N0} vwlive guests", string.Join(", ", results.SelectMany(r => r.Intermediate).GroupBy(t => t).Select(g => $"{g.Key} x{g.Count()}")) is { Length: > 0 } states ? states : "none", ""));
            rows.Add(new($"libvirt calls on the app's connection per virsh command, {others + 1:N0} vwlive guests (median)", $"{Median(results.Select(r => (IReadOnlyList<double>)r.CallsPerCommand).ToList(), 50)}", "<= 3"));
        }
    }
}
finally
{
    await ((Xunit.IAsyncLifetime)app).DisposeAsync();
}

if (loadRuns.Count > 0)
{
    LoadDegradation.Print(loadRuns);
    return 0;
}

var width = rows.Max(r => r.What.Length);
Console.WriteLine();
Console.WriteLine($"{"measure".PadRight(width)}  {"value",12}  target");
Console.WriteLine(new string('-', width + 24));
foreach (var row in rows)
{
    Console.WriteLine($"{row.What.PadRight(width)}  {row.Value,12}  {row.Target}");
}

return 0;

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
}

// Each run's percentile, then the median of those over the runs.
static double Median(IReadOnlyList<IReadOnlyList<double>> perRun, int percentile) =>
    perRun.Select(run => Percentile(run, percentile)).Order().ElementAt(perRun.Count / 2);

static string Ms(double value) => $"{value.ToString("0.0", CultureInfo.InvariantCulture)} ms";

static string Kib(double value) => $"{(value / 1024).ToString("0", CultureInfo.InvariantCulture)} KiB";

static string Bytes(double value) => $"{value.ToString("0", CultureInfo.InvariantCulture)} B";

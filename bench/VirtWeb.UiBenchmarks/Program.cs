using System.Globalization;
using Microsoft.Playwright;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.UiBenchmarks;

// The guest list in Chromium (issue 5's targets). Needs PostgreSQL (VIRTWEB_TEST_POSTGRES, as for the tests) and
// Debian's /usr/bin/chromium; makes its own database and test-driver worlds and removes the database after.
//   dotnet run -c Release --project bench/VirtWeb.UiBenchmarks -- [all|latency|list] [--changes 200] [--guests 5000]
var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var changes = Option("--changes", 200);
var guests = Option("--guests", 5000);
if (mode is not ("all" or "latency" or "list"))
{
    Console.Error.WriteLine($"Unknown mode '{mode}': use all, latency or list.");
    return 2;
}

// WebApplicationFactory finds the app's content root through MvcTestingAppManifest.json in the current directory.
Directory.SetCurrentDirectory(AppContext.BaseDirectory);
var rows = new List<BenchRow>();
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
}
finally
{
    await ((Xunit.IAsyncLifetime)app).DisposeAsync();
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

static double Percentile(IReadOnlyList<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

static string Ms(double value) => $"{value.ToString("0.0", CultureInfo.InvariantCulture)} ms";

static string Bytes(double value) => $"{value.ToString("0", CultureInfo.InvariantCulture)} B";

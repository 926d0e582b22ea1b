using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;

namespace VirtWeb.UiBenchmarks;

/// <summary>
/// What one Blazor circuit costs the server's managed heap (after full collections), for VirtWeb's /guests and for the
/// counter page of the Blazor Web App template (made with <c>dotnet new blazor -int Server</c>, built in Release, run
/// as a process of its own with one added endpoint that reports its heap). Each side opens a page once to warm up,
/// then <see cref="Circuits"/> pages at once; the difference over that many is one circuit.
/// </summary>
public sealed class MemoryBench(GuestListBench list, IBrowser browser)
{
    public const int Circuits = 5;

    public async Task<double> VirtWebPerCircuitAsync()
    {
        var context = await list.SignedInContextAsync();
        await (await OpenGuestsAsync(context)).CloseAsync();
        var before = Heap();
        var pages = new List<IPage>();
        for (var i = 0; i < Circuits; i++)
        {
            pages.Add(await OpenGuestsAsync(context));
        }

        var after = Heap();
        // VIRTWEB_BENCH_HOLD=<seconds> keeps the circuits open after the measurement, for a dotnet-gcdump of this process.
        if (int.TryParse(Environment.GetEnvironmentVariable("VIRTWEB_BENCH_HOLD"), out var hold) && hold > 0)
        {
            Console.WriteLine($"holding {Circuits} circuits open for {hold} s: process {Environment.ProcessId}");
            await Task.Delay(TimeSpan.FromSeconds(hold));
        }

        Rows = await RowsAsync(pages[^1]);
        foreach (var page in pages)
        {
            await page.CloseAsync();
        }

        return (after - before) / (double)Circuits;
    }

    /// <summary>What the last measured page rendered: guest rows in the DOM, one row's height and the scroll box's.</summary>
    public RowProbe? Rows { get; private set; }

    public sealed class RowProbe
    {
        public int Rows { get; set; }

        public double RowHeight { get; set; }

        public double ViewportHeight { get; set; }
    }

    private static Task<RowProbe> RowsAsync(IPage page) =>
        page.EvaluateAsync<RowProbe>("""
            () => {
                const rows = [...document.querySelectorAll('[data-testid=guests-table] tbody tr')].filter(r => r.querySelector('[data-testid=guest-name]'));
                const box = document.querySelector('[data-testid=guests-table] .mud-table-container');
                return { rows: rows.length, rowHeight: rows.length ? rows[0].getBoundingClientRect().height : 0, viewportHeight: box.clientHeight };
            }
            """);

    public async Task<double> TemplatePerCircuitAsync()
    {
        var directory = Directory.CreateTempSubdirectory("virtweb-template-");
        Process? server = null;
        try
        {
            var project = Path.Combine(directory.FullName, "Template");
            await RunAsync("dotnet", ["new", "blazor", "--interactivity", "Server", "--output", project]);
            var program = Path.Combine(project, "Program.cs");
            var code = await File.ReadAllTextAsync(program);
            await File.WriteAllTextAsync(program, code.Replace("app.Run();", """
                app.MapGet("/heap", () => { GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); return GC.GetTotalMemory(true); });
                app.Run();
                """, StringComparison.Ordinal));
            await RunAsync("dotnet", ["build", project, "-c", "Release", "--nologo", "-v", "quiet"]);
            var port = FreePort();
            var start = new ProcessStartInfo("dotnet", [Path.Combine(project, "bin", "Release", "net10.0", "Template.dll")])
            {
                WorkingDirectory = project,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            server = Process.Start(start)!;
            server.OutputDataReceived += (_, _) => { };
            server.ErrorDataReceived += (_, _) => { };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            var address = new Uri($"http://127.0.0.1:{port}");
            using var http = new HttpClient { BaseAddress = address };
            await WaitForAsync(http);

            var context = await browser.NewContextAsync(new() { BaseURL = address.ToString() });
            await (await OpenCounterAsync(context)).CloseAsync();
            var before = long.Parse(await http.GetStringAsync("/heap"), System.Globalization.CultureInfo.InvariantCulture);
            var pages = new List<IPage>();
            for (var i = 0; i < Circuits; i++)
            {
                pages.Add(await OpenCounterAsync(context));
            }

            var after = long.Parse(await http.GetStringAsync("/heap"), System.Globalization.CultureInfo.InvariantCulture);
            await context.DisposeAsync();
            return (after - before) / (double)Circuits;
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill();
                await server.WaitForExitAsync();
            }

            directory.Delete(recursive: true);
        }
    }

    private static async Task<IPage> OpenGuestsAsync(IBrowserContext context)
    {
        var page = await GuestListBench.OpenListAsync(context);
        await page.Locator("[data-testid=guests-table] tbody tr [data-testid=guest-name]").First.WaitForAsync(new() { Timeout = 60_000 });
        return page;
    }

    // The click counts only once the circuit is up, so a count of 1 proves the page is live.
    private static async Task<IPage> OpenCounterAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/counter");
        var deadline = Stopwatch.StartNew();
        while (await page.Locator("p[role=status]").TextContentAsync() == "Current count: 0")
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new TimeoutException("The template's counter page did not become interactive within a minute.");
            }

            await page.GetByRole(AriaRole.Button, new() { Name = "Click me" }).ClickAsync();
            await Task.Delay(200);
        }

        return page;
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task RunAsync(string file, IEnumerable<string> arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {await output}{await error}");
        }
    }

    private static async Task WaitForAsync(HttpClient http)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await http.GetStringAsync("/heap");
                return;
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromMinutes(1))
            {
                await Task.Delay(200);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

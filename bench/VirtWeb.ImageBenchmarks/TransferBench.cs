using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using VirtWeb.Access;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.IntegrationTests.Infrastructure;

namespace VirtWeb.ImageBenchmarks;

/// <summary>
/// One file, moved into and out of a temp dir pool on qemu:///system twice over: through VirtWeb's HTTP endpoints (the
/// app in this process on a real Kestrel port, a signed-in Operator, the browser's way) and with virsh. Rounds alternate
/// so both see the same page cache and disk. The app's memory is sampled from this process while VirtWeb uploads.
/// </summary>
public static class TransferBench
{
    private const string Uri = "qemu:///system";
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(long size, int rounds)
    {
        var work = Directory.CreateTempSubdirectory("virtweb-bench-");
        var app = new KestrelVirtWebFactory();
        QemuPool? pool = null;
        try
        {
            var source = Path.Combine(work.FullName, "source.raw");
            var back = Path.Combine(work.FullName, "back.raw");
            await WriteSourceAsync(source, size);
            await app.InitializeAsync();
            pool = await QemuPool.CreateAsync(app);
            var session = await SignInAsync(app);

            // A server that has moved an image before: the JIT has compiled the transfer path to its final tier, which on
            // a fresh process takes a few hundred MB and would otherwise be timed as part of the first round.
            var warmUp = Path.Combine(work.FullName, "warm-up.raw");
            await WriteSourceAsync(warmUp, Math.Min(size, 256L << 20));
            await UploadAsync(session, pool, "warm-up.raw", warmUp, new FileInfo(warmUp).Length);
            await DownloadAsync(session, pool, pool.PathOf("warm-up.raw"), back);
            File.Delete(back);
            Virsh("vol-delete", "--pool", pool.Name, "warm-up.raw");

            var daemon = Libvirtd.ProcessId();
            var results = new List<Round>();
            for (var round = 1; round <= rounds; round++)
            {
                var name = $"vw-{round}.raw";
                var faultsBefore = Libvirtd.Counters(daemon).MinorFaults;
                var (upload, extra) = await MeasureMemoryAsync(() => Profiled($"upload-{round}", () => TimeAsync(() => UploadAsync(session, pool, name, source, size))));
                var faults = Libvirtd.Counters(daemon).MinorFaults - faultsBefore;
                var path = pool.PathOf(name);
                var download = await Profiled($"download-{round}", () => TimeAsync(() => DownloadAsync(session, pool, path, back)));
                Check(await HashAsync(back) == await HashAsync(source), "VirtWeb's download differs from the file");
                File.Delete(back);
                Virsh("vol-delete", "--pool", pool.Name, name);

                var virshName = $"virsh-{round}.raw";
                Virsh("vol-create-as", pool.Name, virshName, size.ToString(Invariant), "--format", "raw", "--allocation", "0");
                faultsBefore = Libvirtd.Counters(daemon).MinorFaults;
                var virshUpload = await TimeAsync(() => Task.Run(() => Virsh("vol-upload", "--pool", pool.Name, virshName, source)));
                var virshFaults = Libvirtd.Counters(daemon).MinorFaults - faultsBefore;
                var virshDownload = await TimeAsync(() => Task.Run(() => Virsh("vol-download", "--pool", pool.Name, virshName, back)));
                File.Delete(back);
                Virsh("vol-delete", "--pool", pool.Name, virshName);

                results.Add(new Round($"round {round}", MiBps(size, upload), MiBps(size, virshUpload), MiBps(size, download), MiBps(size, virshDownload), extra, faults, virshFaults));
            }

            Print(size, results);
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
            try
            {
                if (pool is not null)
                {
                    await pool.DisposeAsync();
                }
            }
            finally
            {
                await ((Xunit.IAsyncLifetime)app).DisposeAsync();
            }
        }
    }

    private sealed record Round(
        string Name, double VirtWebUp, double VirshUp, double VirtWebDown, double VirshDown, long ExtraBytes, long VirtWebUpFaults, long VirshUpFaults);

    private static void Print(long size, List<Round> results)
    {
        Console.WriteLine();
        Console.WriteLine($"{size >> 20} MiB file, temp dir pool on {Uri}, {Environment.ProcessorCount} CPUs; MiB/s, higher is better");
        Console.WriteLine();
        Console.WriteLine("| run       | upload VirtWeb | upload virsh | ratio | download VirtWeb | download virsh | ratio | app extra RSS during upload | libvirtd faults, upload VirtWeb / virsh |");
        Console.WriteLine("|-----------|---------------:|-------------:|------:|-----------------:|---------------:|------:|----------------------------:|----------------------------------------:|");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(Invariant,
                $"| {r.Name,-9} | {r.VirtWebUp,14:0} | {r.VirshUp,12:0} | {r.VirtWebUp / r.VirshUp,5:0.00} | {r.VirtWebDown,16:0} | {r.VirshDown,14:0} | {r.VirtWebDown / r.VirshDown,5:0.00} | {r.ExtraBytes / (1024.0 * 1024.0),23:0.0} MiB | {r.VirtWebUpFaults,19} / {r.VirshUpFaults,-17} |"));
        }

        // Each round's two transfers run back to back under the same load, so the ratio is taken per round; the
        // summary is the median round (a busy machine makes single rounds swing both ways).
        var up = Median(results.Select(r => r.VirtWebUp / r.VirshUp));
        var down = Median(results.Select(r => r.VirtWebDown / r.VirshDown));
        var peak = results.Max(r => r.ExtraBytes) / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(Invariant,
            $"| median    | {Median(results.Select(r => r.VirtWebUp)),14:0} | {Median(results.Select(r => r.VirshUp)),12:0} | {up,5:0.00} | {Median(results.Select(r => r.VirtWebDown)),16:0} | {Median(results.Select(r => r.VirshDown)),14:0} | {down,5:0.00} | {peak,19:0.0} MiB max | {Median(results.Select(r => (double)r.VirtWebUpFaults)),19:0} / {Median(results.Select(r => (double)r.VirshUpFaults)),-17:0} |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(Invariant,
            $"targets: upload {(up >= 0.8 ? "met" : "MISSED")} ({up:0.00} of virsh, want >= 0.8), download {(down >= 0.8 ? "met" : "MISSED")} ({down:0.00}), memory {(peak < 100 ? "met" : "MISSED")} ({peak:0.0} MiB extra, want < 100)"));
        Console.WriteLine("A freshly started libvirtd faults in new memory for every 256 KiB message virsh sends (about 140k faults per GiB);");
        Console.WriteLine("one whose heap has settled hardly faults, and then virsh runs three to four times as fast. Compare runs in the same state.");
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task<Session> SignInAsync(VirtWebFactory app)
    {
        var name = VirtWebFactory.UniqueUserName("bench");
        await app.CreateUserAsync(name, Roles.Operator);
        // A real socket to Kestrel, as a browser has: the in-memory test server would skip the HTTP stack being measured.
        var cookies = new CookieContainer();
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = true, CookieContainer = cookies, AllowAutoRedirect = false })
        {
            BaseAddress = app.ServerAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var client = new BrowserlessClient(http);
        var signIn = await client.SignInAsync(name, VirtWebFactory.UserPassword);
        Check(signIn.StatusCode == HttpStatusCode.Redirect, $"sign-in answered {signIn.StatusCode}");
        return new Session(client, cookies);
    }

    // The transfers run in curl, a process of its own as the browser is: an HTTP client inside this process would
    // share the app's two cores and its garbage collector, and the bench would time both together.
    private static async Task UploadAsync(Session session, QemuPool pool, string name, string source, long size)
    {
        var client = session.Client;
        var token = await client.AntiforgeryTokenAsync("/Account/Manage/ChangePassword");
        var (status, _) = CurlUpload(
            new Uri(client.Http.BaseAddress!, $"/api/images/upload?host={pool.HostId}&pool={pool.Name}&name={name}&format=raw").ToString(), source,
            "Content-Type: application/octet-stream", $"RequestVerificationToken: {token}", $"Cookie: {session.Cookies.GetCookieHeader(client.Http.BaseAddress!)}");
        Check(status == "201", $"upload answered {status} for {size} bytes");
    }

    /// <summary>POSTs <paramref name="file"/> with curl (no Expect: 100-continue round trip); the HTTP status and curl's own speed in MiB/s.</summary>
    internal static (string Status, double MiBps) CurlUpload(string url, string file, params string[] headers)
    {
        var written = Run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{speed_upload}", "-X", "POST", "--upload-file", file, "-H", "Expect:",
            .. headers.SelectMany(header => new[] { "-H", header }), url]).Split(' ');
        return (written[0], double.Parse(written[1], Invariant) / (1024.0 * 1024.0));
    }

    private static Task DownloadAsync(Session session, QemuPool pool, string path, string destination)
    {
        var client = session.Client;
        var status = Run("curl", "-sS", "-o", destination, "-w", "%{http_code}", "-H", $"Cookie: {session.Cookies.GetCookieHeader(client.Http.BaseAddress!)}",
            new Uri(client.Http.BaseAddress!, $"/api/images/download?host={pool.HostId}&path={System.Uri.EscapeDataString(path)}").ToString());
        Check(status == "200", $"download answered {status}");
        return Task.CompletedTask;
    }

    /// <summary>A signed-in Operator: the client for pages and tokens, the cookies for curl.</summary>
    private sealed record Session(BrowserlessClient Client, CookieContainer Cookies);

    /// <summary>Resident set of this process (the app; the transfers run in curl) above the level before.</summary>
    private static async Task<(T Result, long ExtraBytes)> MeasureMemoryAsync<T>(Func<Task<T>> action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = ResidentBytes();
        var peak = baseline;
        using var stop = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResidentBytes());
                await Task.Delay(10, CancellationToken.None);
            }
        });
        var result = await action();
        await stop.CancelAsync();
        await sampling;
        return (result, Math.Max(peak, ResidentBytes()) - baseline);
    }

    private static long ResidentBytes() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], Invariant) * Environment.SystemPageSize;

    private static async Task<TimeSpan> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed;
    }

    private static double MiBps(long size, TimeSpan elapsed) => size / (1024.0 * 1024.0) / elapsed.TotalSeconds;

    // Random bytes in 4 MiB pieces: nothing on the way can compress or skip them.
    internal static async Task WriteSourceAsync(string path, long size)
    {
        var piece = RandomNumberGenerator.GetBytes(4 << 20);
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
        for (long written = 0; written < size; written += piece.Length)
        {
            await file.WriteAsync(piece.AsMemory(0, (int)Math.Min(piece.Length, size - written)));
        }
    }

    private static async Task<string> HashAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(file));
    }

    /// <summary>
    /// With VIRTWEB_BENCH_PERF_DIR set, records the whole machine with <c>perf record -a -g</c> while <paramref name="action"/>
    /// runs, into <c>{name}.data</c> there. DOTNET_PerfMapEnabled=3 names the app's JIT frames; 1 also writes jitdump
    /// files, which keeps the JIT thread busy enough to distort the run.
    /// </summary>
    private static async Task<T> Profiled<T>(string name, Func<Task<T>> action)
    {
        if (Environment.GetEnvironmentVariable("VIRTWEB_BENCH_PERF_DIR") is not { Length: > 0 } directory)
        {
            return await action();
        }

        using var perf = Process.Start("perf", ["record", "-a", "-g", "-q", "-o", Path.Combine(directory, $"{name}.data")]);
        // perf needs a moment to attach to every CPU; what it misses would be the transfer's first bytes.
        await Task.Delay(TimeSpan.FromSeconds(1));
        try
        {
            return await action();
        }
        finally
        {
            Process.Start("kill", ["-INT", perf.Id.ToString(Invariant)]).WaitForExit();
            await perf.WaitForExitAsync();
        }
    }

    private static void Virsh(params string[] arguments) => Run("virsh", ["-c", Uri, .. arguments]);

    /// <summary>Runs a tool to its end and returns what it printed; a failure stops the bench with its message.</summary>
    internal static string Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Check(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} failed: {error.Result}");
        return output;
    }

    private static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException(problem);
        }
    }
}

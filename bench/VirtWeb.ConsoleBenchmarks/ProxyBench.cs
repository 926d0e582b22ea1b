using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using VirtWeb.Access;
using VirtWeb.Consoles;
using VirtWeb.IntegrationTests.Guests;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.ConsoleBenchmarks;

/// <summary>
/// One QEMU guest (SeaBIOS, VNC on 127.0.0.1) measured three ways, in turns: direct TCP (the floor), websockify in front
/// of the same VNC port, and VirtWeb's console proxy (the app in this process on a real Kestrel port, a signed-in
/// Operator with a ticket, the browser's way; VirtWeb reaches QEMU through virDomainOpenGraphicsFD).
/// </summary>
public static class ProxyBench
{
    private const int UploadMessages = 64;
    private const int DownloadFrames = 40;
    private const int MeasuredPasses = 3;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(int roundTrips)
    {
        if (!File.Exists("/usr/bin/websockify"))
        {
            Console.Error.WriteLine("websockify is missing: apt-get install websockify");
            return 2;
        }
        var app = new KestrelVirtWebFactory();
        using var connection = LibvirtConnection.Open("qemu:///system");
        var name = $"vwcon-bench-{Guid.NewGuid():N}"[..28];
        LibvirtDomain? domain = null;
        Process? websockify = null;
        try
        {
            await app.InitializeAsync();
            var hostId = await GuestWorld.AddQemuHostAsync(app);
            domain = connection.DefineDomain($"""
                <domain type='qemu'>
                  <name>{name}</name>
                  <memory unit='MiB'>64</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64' machine='pc'>hvm</type></os>
                  <devices><graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/></devices>
                </domain>
                """);
            domain.Start();
            var vncPort = DomainDefinition.Parse(domain.GetXml()).Graphics[0].Port ?? throw new InvalidOperationException("no VNC port");
            var websockifyPort = FreePort();
            websockify = Process.Start(new ProcessStartInfo("/usr/bin/websockify", $"127.0.0.1:{websockifyPort} 127.0.0.1:{vncPort}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            websockify.OutputDataReceived += (_, _) => { };
            websockify.ErrorDataReceived += (_, _) => { };
            websockify.BeginOutputReadLine();
            websockify.BeginErrorReadLine();
            await WaitForPortAsync(websockifyPort);

            var operatorName = VirtWebFactory.UniqueUserName("bench");
            await app.CreateUserAsync(operatorName, Roles.Operator);
            var cookies = new CookieContainer();
            using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = app.ServerAddress };
            var browser = new BrowserlessClient(http);
            await browser.SignInAsync(operatorName, VirtWebFactory.UserPassword);
            var origin = app.ServerAddress.GetLeftPart(UriPartial.Authority);

            var paths = new (string Name, Func<Task<Stream>> Open)[]
            {
                ("direct TCP", async () =>
                {
                    var client = new TcpClient { NoDelay = true };
                    await client.ConnectAsync(IPAddress.Loopback, vncPort);
                    return client.GetStream();
                }),
                ("websockify", () => WebSocketAsync(new Uri($"ws://127.0.0.1:{websockifyPort}/"), null, null)),
                ("VirtWeb", async () =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/consoles/tickets")
                    {
                        Content = JsonContent.Create(new { hostId, uuid = domain.Uuid, kind = "graphics" }),
                    };
                    request.Headers.Add("Origin", origin);
                    using var response = await http.SendAsync(request);
                    response.EnsureSuccessStatusCode();
                    var grant = (await response.Content.ReadFromJsonAsync<ConsoleTicketGrant>())!;
                    var address = new Uri(new Uri(origin.Replace("http", "ws", StringComparison.Ordinal)), $"{grant.Path}?ticket={grant.Ticket}");
                    return await WebSocketAsync(address, origin, cookies);
                }),
            };

            // Passes in turns, so each path sees the same machine load; a short warm-up pass, then the median of three.
            var passes = paths.ToDictionary(p => p.Name, _ => new List<Result>());
            for (var pass = 0; pass <= MeasuredPasses; pass++)
            {
                foreach (var (pathName, open) in paths)
                {
                    var result = await MeasureAsync(open, pass == 0 ? roundTrips / 10 : roundTrips);
                    if (pass > 0)
                    {
                        passes[pathName].Add(result);
                    }
                }
            }
            Print(passes.ToDictionary(p => p.Key, p => Median(p.Value)), roundTrips);
            return 0;
        }
        finally
        {
            if (websockify is { HasExited: false })
            {
                websockify.Kill();
                await websockify.WaitForExitAsync();
            }
            if (domain is not null)
            {
                if (domain.IsActive)
                {
                    domain.Destroy();
                }
                domain.Undefine();
                domain.Dispose();
            }
            await ((Xunit.IAsyncLifetime)app).DisposeAsync();
        }
    }

    private sealed record Result(double P50Us, double P99Us, double UploadMiBps, double DownloadMiBps);

    private static async Task<Result> MeasureAsync(Func<Task<Stream>> open, int roundTrips)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await using var stream = await open();
        var probe = new RfbProbe(stream);
        await probe.HandshakeAsync(timeout.Token);
        for (var i = 0; i < 200; i++)
        {
            await probe.RoundTripAsync(timeout.Token);
        }
        var samples = new double[roundTrips];
        for (var i = 0; i < roundTrips; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await probe.RoundTripAsync(timeout.Token);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(samples);

        var watch = Stopwatch.StartNew();
        var uploaded = await probe.UploadAsync(UploadMessages, timeout.Token);
        var upload = uploaded / watch.Elapsed.TotalSeconds / (1 << 20);
        watch.Restart();
        var downloaded = await probe.DownloadAsync(DownloadFrames, timeout.Token);
        var download = downloaded / watch.Elapsed.TotalSeconds / (1 << 20);
        return new Result(Percentile(samples, 0.50), Percentile(samples, 0.99), upload, download);
    }

    private static Result Median(List<Result> results)
    {
        static double Mid(IEnumerable<double> values) => values.Order().ElementAt(MeasuredPasses / 2);
        return new Result(Mid(results.Select(r => r.P50Us)), Mid(results.Select(r => r.P99Us)), Mid(results.Select(r => r.UploadMiBps)), Mid(results.Select(r => r.DownloadMiBps)));
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static async Task<Stream> WebSocketAsync(Uri address, string? origin, CookieContainer? cookies)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("binary");
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        if (cookies is not null)
        {
            socket.Options.Cookies = cookies;
        }
        await socket.ConnectAsync(address, CancellationToken.None);
        return WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: true);
    }

    private static void Print(Dictionary<string, Result> results, int roundTrips)
    {
        var direct = results["direct TCP"];
        Console.WriteLine();
        Console.WriteLine($"RFB to one QEMU VNC server on 127.0.0.1, {Environment.ProcessorCount} CPUs, {roundTrips} round trips; " +
            $"upload {UploadMessages} x 1 MB ClientCutText, download {DownloadFrames} full Raw frames; median of {MeasuredPasses} passes");
        Console.WriteLine();
        Console.WriteLine($"| {"path",-12} | {"RTT p50 µs",10} | {"RTT p99 µs",10} | {"added p50 µs",12} | {"added p99 µs",12} | {"up MiB/s",9} | {"up vs direct",12} | {"down MiB/s",10} |");
        Console.WriteLine($"|{new string('-', 14)}|{new string('-', 12)}|{new string('-', 12)}|{new string('-', 14)}|{new string('-', 14)}|{new string('-', 11)}|{new string('-', 14)}|{new string('-', 12)}|");
        foreach (var (name, r) in results)
        {
            Console.WriteLine(string.Create(Invariant,
                $"| {name,-12} | {r.P50Us,10:0} | {r.P99Us,10:0} | {r.P50Us - direct.P50Us,12:0} | {r.P99Us - direct.P99Us,12:0} | {r.UploadMiBps,9:0.0} | {r.UploadMiBps / direct.UploadMiBps,12:0.00} | {r.DownloadMiBps,10:0.0} |"));
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
            }
        }
    }
}

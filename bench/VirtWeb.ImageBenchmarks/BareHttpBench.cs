using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using VirtWeb.Images;

namespace VirtWeb.ImageBenchmarks;

/// <summary>
/// The ceiling of any upload over HTTP on this machine: a bare Kestrel endpoint with nothing but the binding behind it
/// (no sign-in, no antiforgery, no audit, no live state), fed by curl, beside virsh vol-upload of the same file. A
/// second endpoint only drains the body, which prices the HTTP receive alone. If the bare upload stays under 0.8 of
/// virsh, no change inside VirtWeb's own path can reach that ratio here.
/// </summary>
public static class BareHttpBench
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(long size, int rounds)
    {
        using var scratch = await ScratchPool.CreateAsync("bare", size);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.Replace(ServiceDescriptor.Singleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>());
        await using var app = builder.Build();
        app.MapPost("/drain", async (HttpContext context) =>
        {
            var buffer = new byte[LargeBlockMemoryPool.BlockSize];
            while (await context.Request.Body.ReadAsync(buffer) > 0)
            {
            }
        });
        app.MapPost("/upload/{name}", async (HttpContext context, string name) =>
        {
            using var volume = scratch.CreateRawVolume(name, context.Request.ContentLength!.Value);
            await volume.UploadAsync(context.Request.Body);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

        Curl(address, "drain", scratch.Source);
        var results = new List<(double Drain, double Bare, double Virsh)>();
        for (var round = 1; round <= rounds; round++)
        {
            var drain = Curl(address, "drain", scratch.Source);
            var bare = Curl(address, $"upload/bare-{round}.raw", scratch.Source);
            using (var virshVolume = scratch.CreateRawVolume($"virsh-{round}.raw", size))
            {
                var clock = Stopwatch.StartNew();
                TransferBench.Run("virsh", "-c", "qemu:///system", "vol-upload", "--pool", scratch.Name, $"virsh-{round}.raw", scratch.Source);
                results.Add((drain, bare, size / (1024.0 * 1024.0) / clock.Elapsed.TotalSeconds));
            }
        }

        await app.StopAsync();
        Console.WriteLine();
        Console.WriteLine($"{size >> 20} MiB, curl to a bare Kestrel endpoint on {Environment.ProcessorCount} CPUs, dir pool on qemu:///system; MiB/s");
        Console.WriteLine();
        Console.WriteLine("| run       | HTTP drain only | bare HTTP upload | virsh vol-upload | ratio |");
        Console.WriteLine("|-----------|----------------:|-----------------:|-----------------:|------:|");
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            Console.WriteLine(string.Create(Invariant, $"| round {i + 1,-3} | {r.Drain,15:0} | {r.Bare,16:0} | {r.Virsh,16:0} | {r.Bare / r.Virsh,5:0.00} |"));
        }

        Console.WriteLine(string.Create(Invariant,
            $"| median    | {TransferBench.Median(results.Select(r => r.Drain)),15:0} | {TransferBench.Median(results.Select(r => r.Bare)),16:0} | {TransferBench.Median(results.Select(r => r.Virsh)),16:0} | {TransferBench.Median(results.Select(r => r.Bare / r.Virsh)),5:0.00} |"));
        return 0;
    }

    private static double Curl(string address, string path, string file)
    {
        var (status, speed) = TransferBench.CurlUpload($"{address}/{path}", file);
        return status == "200" ? speed : throw new InvalidOperationException($"{path} answered {status}");
    }
}

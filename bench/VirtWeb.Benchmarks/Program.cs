using System.Diagnostics;
using BenchmarkDotNet.Running;
using VirtWeb.Benchmarks;
using VirtWeb.Libvirt;

// dotnet run -c Release --project bench/VirtWeb.Benchmarks -- leak   (native memory and fds over many cycles)
// dotnet run -c Release --project bench/VirtWeb.Benchmarks -- speed  (BenchmarkDotNet: open/close and listing)
var mode = args.FirstOrDefault() ?? "leak";
if (mode == "speed")
{
    BenchmarkRunner.Run<LibvirtBenchmarks>(args: args.Skip(1).ToArray());
    return 0;
}

LeakRun.OpenClose(100);
using var connection = LibvirtConnection.Open(LeakRun.Uri);
LeakRun.ListDomains(connection, 100);

Console.WriteLine(NativeFootprint.Header);
var before = NativeFootprint.Measure();
var clock = Stopwatch.StartNew();
LeakRun.OpenClose(1_000);
var afterOpen = NativeFootprint.Measure();
Console.WriteLine(NativeFootprint.Row($"1,000 open/close ({clock.ElapsedMilliseconds} ms)", before, afterOpen));

clock.Restart();
LeakRun.ListDomains(connection, 10_000);
var afterList = NativeFootprint.Measure();
Console.WriteLine(NativeFootprint.Row($"10,000 listings ({clock.ElapsedMilliseconds} ms)", afterOpen, afterList));

clock.Restart();
LeakRun.OpenClose(1_000);
LeakRun.ListDomains(connection, 10_000);
var again = NativeFootprint.Measure();
Console.WriteLine(NativeFootprint.Row($"both again ({clock.ElapsedMilliseconds} ms)", afterList, again));
return 0;

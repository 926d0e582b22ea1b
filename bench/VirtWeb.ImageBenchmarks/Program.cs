using VirtWeb.ImageBenchmarks;

// VIRTWEB_TEST_POSTGRES=... dotnet run -c Release --project bench/VirtWeb.ImageBenchmarks -- [size in MiB, default 2048] [rounds, default 2]
// Needs libvirtd (qemu:///system), virsh and the tests' PostgreSQL. Prints upload and download throughput through VirtWeb
// beside virsh vol-upload / vol-download of the same file, and the app's extra memory during its upload.
// VIRTWEB_BENCH_PERF_DIR=dir records each VirtWeb transfer with perf (see TransferBench.Profiled).
// dotnet run -c Release --project bench/VirtWeb.ImageBenchmarks -- pieces [size in MiB, default 1024] [rounds, default 3]
// Needs only libvirtd: upload throughput through the binding alone by libvirt message size, with libvirtd's CPU and faults.
// dotnet run -c Release --project bench/VirtWeb.ImageBenchmarks -- bare [size in MiB, default 1024] [rounds, default 3]
// Needs only libvirtd: curl to a bare Kestrel endpoint with the binding behind it, beside virsh (the ceiling over HTTP).
// WebApplicationFactory finds the app's content root through MvcTestingAppManifest.json in the current directory, as
// under a test runner; dotnet run starts elsewhere.
Directory.SetCurrentDirectory(AppContext.BaseDirectory);
if (args is [("pieces" or "bare") and var mode, ..])
{
    var size = (long)(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1024) << 20;
    var times = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
    return mode == "pieces" ? await PieceSizeBench.RunAsync(size, times) : await BareHttpBench.RunAsync(size, times);
}

var sizeMiB = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2048;
var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2;
return await TransferBench.RunAsync((long)sizeMiB << 20, rounds);

using VirtWeb.ConsoleBenchmarks;

// VIRTWEB_TEST_POSTGRES=... dotnet run -c Release --project bench/VirtWeb.ConsoleBenchmarks -- [round trips, default 5000]
// Needs libvirtd (qemu:///system), the tests' PostgreSQL and Debian's websockify (apt-get install websockify).
// Prints RFB round-trip latency and bulk throughput to one QEMU VNC server: directly over TCP, through websockify and
// through VirtWeb's console proxy.
// WebApplicationFactory finds the app's content root through MvcTestingAppManifest.json in the current directory, as
// under a test runner; dotnet run starts elsewhere.
Directory.SetCurrentDirectory(AppContext.BaseDirectory);
var roundTrips = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5000;
return await ProxyBench.RunAsync(roundTrips);

using BenchmarkDotNet.Attributes;
using VirtWeb.Libvirt;

namespace VirtWeb.Benchmarks;

[MemoryDiagnoser]
public class LibvirtBenchmarks
{
    private LibvirtConnection _connection = null!;

    [GlobalSetup]
    public void Setup() => _connection = LibvirtConnection.Open(LeakRun.Uri);

    [GlobalCleanup]
    public void Cleanup() => _connection.Dispose();

    [Benchmark]
    public void OpenClose() => LeakRun.OpenClose(1);

    [Benchmark]
    public void ListDomainsWithState() => LeakRun.ListDomains(_connection, 1);

    [Benchmark]
    public int AllDomainStats() => _connection.GetAllDomainStats().Count;
}

using VirtWeb.Benchmarks;
using Xunit.Abstractions;

namespace VirtWeb.Libvirt.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMeasurementCollection
{
    public const string Name = "Measures the whole process";
}

/// <summary>
/// Every pointer libvirt hands over must be released: many open/close cycles and listings on the test driver leave
/// file descriptors unchanged and native memory flat once warm. bench/VirtWeb.Benchmarks prints the same numbers.
/// </summary>
/// Runs alone: descriptors and resident memory belong to the whole process, so any other test running meanwhile
/// would show up in the numbers.
/// </summary>
[Collection(ProcessMeasurementCollection.Name)]
public sealed class LeakTests(ITestOutputHelper output)
{
    private const long FlatBytes = 4 * 1024 * 1024;

    [Fact]
    public void OpenCloseAndListings_RepeatedWhenWarm_LeaveNativeMemoryAndDescriptorsFlat()
    {
        using var connection = LibvirtConnection.Open(LeakRun.Uri);
        LeakRun.OpenClose(1_000);
        LeakRun.ListDomains(connection, 10_000);
        var warm = NativeFootprint.Measure();

        LeakRun.OpenClose(1_000);
        LeakRun.ListDomains(connection, 10_000);
        var after = NativeFootprint.Measure();

        output.WriteLine(NativeFootprint.Header);
        output.WriteLine(NativeFootprint.Row("1,000 open/close + 10,000 listings", warm, after));
        Assert.Equal(warm.OpenFileDescriptors, after.OpenFileDescriptors);
        Assert.True(after.NativeBytes - warm.NativeBytes < FlatBytes,
            $"native memory grew by {(after.NativeBytes - warm.NativeBytes) / 1024} KiB over a warm round");
    }
}

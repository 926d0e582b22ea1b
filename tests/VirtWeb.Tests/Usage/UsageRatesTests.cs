using VirtWeb.Libvirt;
using VirtWeb.Usage;

namespace VirtWeb.Tests.Usage;

public sealed class UsageRatesTests
{
    private static readonly Guid Host = Guid.NewGuid();
    private static readonly Guid Uuid = Guid.NewGuid();
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static GuestCounters Counters(double seconds, ulong cpuNs, ulong written, int vcpus = 2) =>
        new(Host, Uuid, "g", T0.AddSeconds(seconds), vcpus, cpuNs, null, 1024, 0, written, 0, written / 4096, 100, 200);

    [Fact]
    public void Guest_TwoReadings_CpuIsPercentOfItsVcpusAndOfTheHost()
    {
        // 10 s apart, 10 s of CPU time: one of two vCPUs busy, one of eight host CPUs.
        var usage = UsageRates.Guest(Counters(0, 0, 0), Counters(10, 10_000_000_000, 40960), hostCpus: 8);

        Assert.Equal(50, usage.CpuPercent!.Value, 6);
        Assert.Equal(12.5, usage.HostCpuPercent!.Value, 6);
        Assert.Equal(4096, usage.DiskWriteBytesPerSecond!.Value, 6);
        Assert.Equal(1, usage.DiskWriteOpsPerSecond!.Value, 6);
        Assert.Equal(0, usage.NetRxBytesPerSecond!.Value, 6);
    }

    [Fact]
    public void Guest_FirstReading_HasNoRates()
    {
        var usage = UsageRates.Guest(null, Counters(0, 5_000_000_000, 100), hostCpus: 8);

        Assert.Null(usage.CpuPercent);
        Assert.Null(usage.DiskWriteBytesPerSecond);
        Assert.Equal(1024UL, usage.MemoryTotalKiB);
    }

    [Fact]
    public void Guest_CountersReset_RateUnknownNotNegative()
    {
        // The guest was stopped and started between the readings: every counter starts again from zero.
        var usage = UsageRates.Guest(Counters(0, 90_000_000_000, 1 << 20), Counters(10, 1_000_000_000, 4096), hostCpus: 8);

        Assert.Null(usage.CpuPercent);
        Assert.Null(usage.DiskWriteBytesPerSecond);

        // and the reading after the reset has rates again
        var next = UsageRates.Guest(Counters(10, 1_000_000_000, 4096), Counters(20, 6_000_000_000, 4096), hostCpus: 8);
        Assert.Equal(25, next.CpuPercent!.Value, 6);
        Assert.Equal(0, next.DiskWriteBytesPerSecond!.Value, 6);
    }

    [Fact]
    public void Guest_MissedSample_RateDividesByTheRealInterval()
    {
        // The 10 s reading was missed: 20 s between readings, 20 s of CPU time on 2 vCPUs is 50 %, not 100 %.
        var usage = UsageRates.Guest(Counters(0, 0, 0), Counters(20, 20_000_000_000, 81920), hostCpus: 8);

        Assert.Equal(50, usage.CpuPercent!.Value, 6);
        Assert.Equal(4096, usage.DiskWriteBytesPerSecond!.Value, 6);
    }

    [Fact]
    public void Guest_ReadingsFurtherApartThanMaxInterval_NoRateSoHistoryShowsAGap()
    {
        var usage = UsageRates.Guest(Counters(0, 0, 0), Counters(UsageRates.MaxInterval.TotalSeconds + 1, 1_000_000_000, 0), hostCpus: 8);

        Assert.Null(usage.CpuPercent);
    }

    [Fact]
    public void GuestCounters_From_SumsDisksAndCardsAndUsesBalloonOnlyWhenReported()
    {
        var stats = new DomainStats("g", Uuid, new Dictionary<string, object>
        {
            ["cpu.time"] = 7UL,
            ["vcpu.current"] = 2u,
            ["balloon.current"] = 2048UL,
            ["block.count"] = 2u,
            ["block.0.wr.bytes"] = 10UL,
            ["block.1.wr.bytes"] = 5UL,
            ["net.count"] = 1u,
            ["net.0.rx.bytes"] = 3UL,
        });

        var counters = GuestCounters.From(Host, stats, T0);

        Assert.Equal(15UL, counters.DiskWriteBytes);
        Assert.Null(counters.DiskReadBytes);
        Assert.Equal(3UL, counters.NetRxBytes);
        Assert.Equal(2, counters.Vcpus);
        Assert.Null(counters.MemoryUsedKiB); // no balloon driver stats: "not reported", not the allotment
        Assert.Equal(2048UL, counters.MemoryTotalKiB);

        var reported = GuestCounters.From(Host, stats with
        {
            Values = new Dictionary<string, object>(stats.Values) { ["balloon.available"] = 2000UL, ["balloon.unused"] = 500UL },
        }, T0);
        Assert.Equal(1500UL, reported.MemoryUsedKiB);
        Assert.Equal(2000UL, reported.MemoryTotalKiB);
    }

    [Fact]
    public void Host_BusyOverBusyPlusIdle_AndGuestsSummed()
    {
        var before = new HostCounters(Host, T0, 4, 1_000, 3_000, null, null);
        var after = new HostCounters(Host, T0.AddSeconds(10), 4, 2_000, 6_000, 512, 1024);
        var guest = UsageRates.Guest(Counters(0, 0, 0), Counters(10, 0, 40960), 4);

        var usage = UsageRates.Host(before, after, [guest, guest]);

        Assert.Equal(25, usage.CpuPercent!.Value, 6);
        Assert.Equal(8192, usage.DiskWriteBytesPerSecond!.Value, 6);
        Assert.Equal(512UL, usage.MemoryUsedKiB);
    }

    [Fact]
    public void Host_CountersUnchanged_CpuUnknown()
    {
        // The test driver reports the same fixed counters every time.
        var counters = new HostCounters(Host, T0, 4, 1_000, 3_000, null, null);

        Assert.Null(UsageRates.Host(counters, counters with { At = T0.AddSeconds(10) }, []).CpuPercent);
    }
}

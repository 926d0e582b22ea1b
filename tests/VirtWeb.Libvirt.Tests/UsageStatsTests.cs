namespace VirtWeb.Libvirt.Tests;

public sealed class UsageStatsTests
{
    [Fact]
    public void GetNodeCpuStats_TestDriver_ReturnsTheFourCumulativeCounters()
    {
        using var connection = Fixtures.OpenWorld();

        var stats = connection.GetNodeCpuStats();

        Assert.Equal(["idle", "iowait", "kernel", "user"], stats.Keys.Order());
        Assert.All(stats.Values, value => Assert.True(value > 0));
    }

    [Fact]
    public void GetNodeMemoryStats_TestDriver_ThrowsNoSupport()
    {
        using var connection = Fixtures.OpenWorld();

        var exception = Assert.Throws<LibvirtException>(() => connection.GetNodeMemoryStats());

        Assert.Equal(LibvirtErrorCode.NoSupport, exception.Code);
    }
}

[Collection(Qemu.QemuCollection.Name)]
public sealed class QemuUsageStatsTests
{
    [QemuFact]
    public void GetNodeMemoryStats_Qemu_ReportsTotalAboveFree()
    {
        using var connection = QemuHost.Open();

        var stats = connection.GetNodeMemoryStats();

        Assert.True(stats["total"] > 0);
        Assert.True(stats["free"] < stats["total"]);
    }

    [QemuFact]
    public void GetNodeCpuStats_Qemu_IdleGrowsBetweenTwoReads()
    {
        using var connection = QemuHost.Open();
        var first = connection.GetNodeCpuStats();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var second = connection.GetNodeCpuStats();
        while (second["idle"] + second["user"] + second["kernel"] == first["idle"] + first["user"] + first["kernel"] && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
            second = connection.GetNodeCpuStats();
        }

        Assert.True(second["idle"] + second["user"] + second["kernel"] > first["idle"] + first["user"] + first["kernel"]);
    }
}

public sealed class DomainListStatsTests
{
    [Fact]
    public void GetDomainStats_OneOfTwoDomains_ReturnsOnlyThatOne()
    {
        using var connection = Fixtures.OpenWorld();
        using var beta = connection.GetDomainByName("beta");

        var stats = connection.GetDomainStats([beta], DomainStatsTypes.State);

        Assert.Equal("beta", Assert.Single(stats).DomainName);
        Assert.Equal(DomainState.Shutoff, stats[0].State);
    }

    [Fact]
    public void GetDomainStats_DomainOfAnotherConnection_ThrowsArgumentException()
    {
        using var connection = Fixtures.OpenWorld();
        using var other = Fixtures.OpenWorld();
        using var alpha = other.GetDomainByName("alpha");

        Assert.Throws<ArgumentException>(() => connection.GetDomainStats([alpha], DomainStatsTypes.State));
    }
}

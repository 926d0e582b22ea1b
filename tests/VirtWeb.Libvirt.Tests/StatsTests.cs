namespace VirtWeb.Libvirt.Tests;

public sealed class StatsTests
{
    [Fact]
    public void GetAllDomainStats_World_ReturnsOneRecordPerDomainWithState()
    {
        using var connection = Fixtures.OpenWorld();

        var stats = connection.GetAllDomainStats(DomainStatsTypes.State);

        Assert.Equal(["alpha", "beta"], stats.Select(s => s.DomainName).Order());
        var alpha = stats.Single(s => s.DomainName == "alpha");
        Assert.Equal(Guid.Parse("11111111-2222-3333-4444-555555555555"), alpha.DomainUuid);
        Assert.Equal(DomainState.Running, alpha.State);
        Assert.IsType<int>(alpha.Values["state.state"]);
        Assert.Equal(DomainState.Shutoff, stats.Single(s => s.DomainName == "beta").State);
    }

    [Fact]
    public void GetAllDomainStats_ActiveFlag_SkipsShutoffDomains()
    {
        using var connection = Fixtures.OpenWorld();

        var stats = connection.GetAllDomainStats(DomainStatsTypes.State, DomainStatsFlags.Active);

        Assert.Equal(["alpha"], stats.Select(s => s.DomainName));
    }

    [Fact]
    public void GetAllDomainStats_UnsupportedGroupWithEnforce_Throws()
    {
        using var connection = Fixtures.OpenWorld();

        // The test driver only has the state group; without EnforceStats others are silently skipped.
        Assert.Null(connection.GetAllDomainStats(DomainStatsTypes.Balloon).First().GetUInt64("balloon.current"));
        var exception = Assert.Throws<LibvirtException>(() =>
            connection.GetAllDomainStats(DomainStatsTypes.Balloon, DomainStatsFlags.EnforceStats));

        Assert.Equal(LibvirtErrorCode.ArgumentUnsupported, exception.Code);
    }

    [Fact]
    public void DomainStats_Getters_ConvertOrReturnNull()
    {
        var stats = new DomainStats("d", Guid.Empty, new Dictionary<string, object>
        {
            ["i"] = -1,
            ["u"] = 5u,
            ["ul"] = ulong.MaxValue,
            ["s"] = "text",
            ["cpu.time"] = 2_000_000_000UL,
        });

        Assert.Equal(-1L, stats.GetInt64("i"));
        Assert.Null(stats.GetUInt64("i"));
        Assert.Equal(5UL, stats.GetUInt64("u"));
        Assert.Null(stats.GetInt64("ul"));
        Assert.Null(stats.GetInt64("s"));
        Assert.Null(stats.GetInt64("missing"));
        Assert.Equal("text", stats.GetString("s"));
        Assert.Equal(TimeSpan.FromSeconds(2), stats.CpuTime);
        Assert.Null(stats.State);
    }
}

using VirtWeb.Usage;

namespace VirtWeb.Tests.Usage;

/// <summary>What the charts are handed: four families, gaps kept as gaps, memory in bytes, lines told apart by dash.</summary>
public sealed class UsageChartDataTests
{
    private static readonly DateTimeOffset Start = UsageTiers.Raw.BucketOf(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void From_PointsWithAGapAndNoBalloon_FourFamiliesWithNullsWhereNothingWasRead()
    {
        var rows = new List<UsagePointRecord>
        {
            new() { Bucket = Start, Cpu = 40, Memory = null, MemoryTotal = 1024, DiskWrite = 4096, NetRx = 10 },
            // Start + 10 s: no point (the host was away)
            new() { Bucket = Start.AddSeconds(20), Cpu = 60, Memory = 512, MemoryTotal = 1024, DiskWrite = 0, NetRx = 20 },
        };
        var series = UsageQueries.Fill(UsageTiers.Raw, Start, Start.AddSeconds(30), rows);

        var families = UsageChartData.From(series);

        Assert.Equal(["cpu", "memory", "disk", "network"], families.Select(f => f.Id));
        var cpu = families[0];
        Assert.Equal([Start.ToUnixTimeSeconds(), Start.ToUnixTimeSeconds() + 10, Start.ToUnixTimeSeconds() + 20], cpu.Times);
        Assert.Equal([40f, null, 60f], cpu.Lines[0].Values);
        // A 10 s point's min and max are its average.
        Assert.Equal([40f, null, 60f], cpu.Lines[1].Values);
        var memory = families[1];
        Assert.Equal([null, null, 512f * 1024], memory.Lines[0].Values);
        Assert.Equal([1024f * 1024, null, 1024f * 1024], memory.Lines[1].Values);
        Assert.All(families, f => Assert.Equal(f.Lines.Count, f.Lines.Select(l => l.Dash).Distinct().Count()));
        Assert.Equal(6, cpu.Points);
    }

    [Fact]
    public void Sparkline_TrailWithAMissingRound_TwoLinesRightAlignedAndScaledToTheBox()
    {
        var lines = UsageText.Sparkline([0, 100, float.NaN, 50], 58, 16);

        Assert.Equal(2, lines.Count);
        // 30 slots 2 px apart, the newest at the right edge (58); 100 % at the top (0), 0 % at the bottom (16).
        Assert.Equal("52,16 54,0", lines[0]);
        Assert.Equal("58,8", lines[1]);
    }

    [Fact]
    public void Sparkline_NoTrail_NothingDrawn() => Assert.Empty(UsageText.Sparkline([], 60, 16));
}

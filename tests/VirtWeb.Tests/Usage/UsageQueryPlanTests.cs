using VirtWeb.Usage;

namespace VirtWeb.Tests.Usage;

public sealed class UsageQueryPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(UsageRange.Hour, 10)]
    [InlineData(UsageRange.Day, 60)]
    [InlineData(UsageRange.Week, 1800)]
    [InlineData(UsageRange.Month, 1800)]
    [InlineData(UsageRange.Year, 21600)]
    public void Plan_EachRange_TakesTheFinestTierThatHoldsIt(UsageRange range, int seconds)
    {
        var tier = UsageQueries.Plan(Now - UsageRanges.Length(range), Now, 1500, Now);

        Assert.Equal(seconds, tier.Seconds);
    }

    [Fact]
    public void Plan_FromAfterTo_RefusedNamingBoth()
    {
        var e = Assert.Throws<UsageQueryException>(() => UsageQueries.Plan(Now, Now.AddHours(-1), 100, Now));

        Assert.Contains("must be before", e.Message);
    }

    [Fact]
    public void Plan_YearsInTheFuture_Refused()
    {
        var e = Assert.Throws<UsageQueryException>(() => UsageQueries.Plan(Now, Now.AddYears(5), 100, Now));

        Assert.Contains("future", e.Message);
    }

    [Fact]
    public void Plan_AMillionPoints_RefusedBeforeAnyWork()
    {
        var e = Assert.Throws<UsageQueryException>(() => UsageQueries.Plan(Now.AddHours(-1), Now, 1_000_000, Now));

        Assert.Contains($"at most {UsageQueries.MaxPoints}", e.Message.Replace("between 2 and", "at most"));
    }

    [Fact]
    public void Plan_TenYearsInFewPoints_RefusedSayingHowManyItNeeds()
    {
        var e = Assert.Throws<UsageQueryException>(() => UsageQueries.Plan(Now.AddDays(-3650), Now, 1000, Now));

        Assert.Contains("needs 14601 points", e.Message);
    }

    [Fact]
    public void Plan_BeforeTenYears_Refused()
    {
        var e = Assert.Throws<UsageQueryException>(() => UsageQueries.Plan(Now.AddYears(-11), Now, 5000, Now));

        Assert.Contains("goes back 10 years", e.Message);
    }

    [Fact]
    public void Fill_NoPoints_EveryBucketNullAndBoundedByTheRange()
    {
        var series = UsageQueries.Fill(UsageTiers.Minute, Now.AddHours(-1), Now, []);

        Assert.Equal(60, series.Times.Count);
        Assert.All(series.Values["Cpu"], v => Assert.Null(v));
    }
}

namespace VirtWeb.Usage;

/// <summary>
/// A resolution of the history and how long it is kept: PVE 9's tiers or finer (10 s for an hour, 1 min for a day,
/// 30 min for a month, 6 h for ten years). Each coarser tier is rolled up from the one before it.
/// </summary>
public sealed record UsageTier(int Seconds, TimeSpan Keep, string Label)
{
    public TimeSpan Step => TimeSpan.FromSeconds(Seconds);

    /// <summary>The start of the bucket holding <paramref name="at"/> (buckets are aligned to the Unix epoch).</summary>
    public DateTimeOffset BucketOf(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return DateTimeOffset.UnixEpoch.AddTicks(ticks - ticks % Step.Ticks);
    }
}

public static class UsageTiers
{
    public static readonly UsageTier Raw = new(10, TimeSpan.FromHours(1), "10 s");
    public static readonly UsageTier Minute = new(60, TimeSpan.FromDays(1), "1 min");
    public static readonly UsageTier HalfHour = new(1800, TimeSpan.FromDays(31), "30 min");
    public static readonly UsageTier SixHours = new(21600, TimeSpan.FromDays(3653), "6 h");

    /// <summary>Finest first.</summary>
    public static readonly IReadOnlyList<UsageTier> All = [Raw, Minute, HalfHour, SixHours];
}

/// <summary>The ranges the charts offer.</summary>
public enum UsageRange
{
    Hour,
    Day,
    Week,
    Month,
    Year,
}

public static class UsageRanges
{
    public static TimeSpan Length(UsageRange range) => range switch
    {
        UsageRange.Hour => TimeSpan.FromHours(1),
        UsageRange.Day => TimeSpan.FromDays(1),
        UsageRange.Week => TimeSpan.FromDays(7),
        UsageRange.Month => TimeSpan.FromDays(31),
        UsageRange.Year => TimeSpan.FromDays(366),
        _ => throw new ArgumentOutOfRangeException(nameof(range)),
    };
}

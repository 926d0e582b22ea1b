namespace VirtWeb.Usage;

/// <summary>A history query that cannot be answered as asked; the message says what to change.</summary>
public sealed class UsageQueryException(string message) : Exception(message);

/// <summary>
/// A chart's series: one timestamp per bucket of <see cref="Tier"/> from the first to the last, and per metric one value
/// per timestamp, null where there is no point (the host was away, the guest not running): charts draw a gap there.
/// </summary>
public sealed record UsageSeries(UsageTier Tier, IReadOnlyList<DateTimeOffset> Times, IReadOnlyDictionary<string, IReadOnlyList<float?>> Values);

/// <summary>History queries for charts and the API, under the caller's grants; every query's work is bounded.</summary>
public sealed class UsageQueries(UsageHistory history, AccessControl access, TimeProvider timeProvider)
{
    /// <summary>The most points one series may have: a chart a few thousand pixels wide needs no more.</summary>
    public const int MaxPoints = 5000;

    /// <summary>The series a chart shows: averages, and the CPU's and memory's minimum and maximum.</summary>
    public static readonly IReadOnlyList<string> Columns =
        ["Cpu", "CpuMin", "CpuMax", "Memory", "MemoryMin", "MemoryMax", "MemoryTotal", "DiskRead", "DiskWrite", "DiskReadOps", "DiskWriteOps", "NetRx", "NetTx"];

    public async Task<UsageSeries> ReadGuestAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, DateTimeOffset from, DateTimeOffset to, int points, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.View, "usage.read", AccessPaths.Guest(hostId, uuid), "see this guest's usage");
        return await ReadAsync(hostId, uuid, from, to, points, cancellationToken);
    }

    public async Task<UsageSeries> ReadHostAsync(ClaimsPrincipal caller, Guid hostId, DateTimeOffset from, DateTimeOffset to, int points, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.View, "usage.read", AccessPaths.Host(hostId), "see this host's usage");
        return await ReadAsync(hostId, Guid.Empty, from, to, points, cancellationToken);
    }

    /// <summary>
    /// The finest tier that still holds <paramref name="from"/> and fits <paramref name="points"/> buckets between
    /// <paramref name="from"/> and <paramref name="to"/>; refuses what cannot be answered, before any database work.
    /// </summary>
    public static UsageTier Plan(DateTimeOffset from, DateTimeOffset to, int points, DateTimeOffset now)
    {
        if (points is < 2 or > MaxPoints)
        {
            throw new UsageQueryException($"Ask for between 2 and {MaxPoints} points (asked for {points}).");
        }

        if (from >= to)
        {
            throw new UsageQueryException($"The range's start ({from:u}) must be before its end ({to:u}).");
        }

        if (to > now + TimeSpan.FromMinutes(5))
        {
            throw new UsageQueryException($"The range ends in the future ({to:u}); history ends now ({now:u}).");
        }

        var oldest = UsageTiers.All[^1];
        if (from < now - oldest.Keep)
        {
            throw new UsageQueryException($"History goes back {oldest.Keep.TotalDays / 365.25:0} years, to {now - oldest.Keep:u}; start the range later.");
        }

        foreach (var tier in UsageTiers.All)
        {
            if (from >= now - tier.Keep && (to - from).Ticks / tier.Step.Ticks <= points)
            {
                return tier;
            }
        }

        var needed = (to - from).Ticks / oldest.Step.Ticks + 1;
        throw new UsageQueryException($"This range needs {needed} points even at {oldest.Label}; ask for at least that many (at most {MaxPoints}) or a shorter range.");
    }

    private async Task<UsageSeries> ReadAsync(Guid hostId, Guid guestUuid, DateTimeOffset from, DateTimeOffset to, int points, CancellationToken cancellationToken)
    {
        var tier = Plan(from, to, points, timeProvider.GetUtcNow());
        var rows = await history.ReadAsync(hostId, guestUuid, tier, tier.BucketOf(from), to, cancellationToken);
        return Fill(tier, tier.BucketOf(from), to, rows);
    }

    /// <summary>Every bucket from <paramref name="first"/> to before <paramref name="to"/>, null where no point was kept.</summary>
    internal static UsageSeries Fill(UsageTier tier, DateTimeOffset first, DateTimeOffset to, IReadOnlyList<UsagePointRecord> rows)
    {
        var byBucket = rows.ToDictionary(r => r.Bucket.UtcTicks);
        var times = new List<DateTimeOffset>();
        for (var t = first; t < to; t += tier.Step)
        {
            times.Add(t);
        }

        var values = new Dictionary<string, IReadOnlyList<float?>>(StringComparer.Ordinal);
        foreach (var column in Columns)
        {
            var read = Read(column);
            values[column] = times.Select(t => byBucket.TryGetValue(t.UtcTicks, out var row) ? read(row) : null).ToList();
        }

        return new UsageSeries(tier, times, values);
    }

    // A 10 s point keeps only the average: its minimum and maximum are the average.
    private static Func<UsagePointRecord, float?> Read(string column) => column switch
    {
        "Cpu" => r => r.Cpu,
        "CpuMin" => r => r.CpuMin ?? r.Cpu,
        "CpuMax" => r => r.CpuMax ?? r.Cpu,
        "Memory" => r => r.Memory,
        "MemoryMin" => r => r.MemoryMin ?? r.Memory,
        "MemoryMax" => r => r.MemoryMax ?? r.Memory,
        "MemoryTotal" => r => r.MemoryTotal,
        "DiskRead" => r => r.DiskRead,
        "DiskWrite" => r => r.DiskWrite,
        "DiskReadOps" => r => r.DiskReadOps,
        "DiskWriteOps" => r => r.DiskWriteOps,
        "NetRx" => r => r.NetRx,
        "NetTx" => r => r.NetTx,
        _ => throw new ArgumentOutOfRangeException(nameof(column)),
    };
}

namespace VirtWeb.UiBenchmarks;

/// <summary>The percentile every mode reports: the nearest rank, so a value printed is one that was measured.</summary>
public static class BenchStats
{
    public static double Percentile(IReadOnlyList<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }
}

using Microsoft.Extensions.Time.Testing;
using VirtWeb.Usage;

namespace VirtWeb.Tests.Usage;

/// <summary>A host whose sampling keeps failing warns once, then once per interval with the count in between.</summary>
public sealed class SamplingFailureLogTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Failed_EveryTwoSecondsForTenMinutes_WarnsAtTheStartAndOncePerIntervalWithTheSuppressedCount()
    {
        var log = new SamplingFailureLog(_time);
        var warnings = new List<int>();
        for (var i = 0; i < 300; i++)
        {
            if (log.Failed() is { } suppressed)
            {
                warnings.Add(suppressed);
            }

            _time.Advance(UsageSampler.WatchedInterval);
        }

        // 598 s of failures: the first warns, the next at 5 min with the 149 in between.
        Assert.Equal([0, 149], warnings);
    }

    [Fact]
    public void Recovered_AfterFailures_ReturnsTheirCountAndTheNextFailureWarnsAtOnce()
    {
        var log = new SamplingFailureLog(_time);
        Assert.Equal(0, log.Failed());
        Assert.Null(log.Failed());
        Assert.Null(log.Failed());

        Assert.Equal(3, log.Recovered());
        Assert.Equal(0, log.Recovered());
        Assert.Equal(0, log.Failed());
    }
}

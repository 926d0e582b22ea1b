namespace VirtWeb.Tests.Hosts;

public sealed class RetryDelayTests
{
    [Fact]
    public void RetryDelay_Attempts_DoubleFromOneSecondAndCapAtThirty()
    {
        var delays = Enumerable.Range(0, 8).Select(a => HostSupervisor.RetryDelay(a).TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], delays);
    }

    [Fact]
    public void RetryDelay_HugeAttempt_DoesNotOverflow() =>
        Assert.Equal(TimeSpan.FromSeconds(30), HostSupervisor.RetryDelay(int.MaxValue));
}

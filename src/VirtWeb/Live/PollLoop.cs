namespace VirtWeb.Live;

/// <summary>
/// A background poll: runs its work, then waits for the interval or an early <see cref="Wake"/>, until stopped.
/// Work that throws ends the loop, so the work catches what it can live with.
/// </summary>
public sealed class PollLoop(TimeSpan interval)
{
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Runs the work soon rather than at the next tick.</summary>
    public void Wake() => _wake.Release();

    public async Task RunAsync(Func<CancellationToken, Task> work, CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await work(stoppingToken);

                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                tick.CancelAfter(interval);
                try
                {
                    await _wake.WaitAsync(tick.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

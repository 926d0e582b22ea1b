namespace VirtWeb.Live;

/// <summary>
/// A once-a-second clock for countdowns ("Reconnecting in 7 s") that move between events. It renders only while
/// <c>shouldRender</c> says a countdown is showing, so idle pages cost nothing.
/// </summary>
public sealed class LiveClock : IAsyncDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TimeProvider _timeProvider;
    private readonly Task _ticking;

    public LiveClock(TimeProvider timeProvider, Func<Action, Task> invokeAsync, Func<bool> shouldRender, Action render)
    {
        _timeProvider = timeProvider;
        Now = timeProvider.GetUtcNow();
        _ticking = TickAsync(invokeAsync, shouldRender, render);
    }

    public DateTimeOffset Now { get; private set; }

    private async Task TickAsync(Func<Action, Task> invokeAsync, Func<bool> shouldRender, Action render)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(_cancellation.Token))
            {
                await invokeAsync(() =>
                {
                    Now = _timeProvider.GetUtcNow();
                    if (shouldRender())
                    {
                        render();
                    }
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cancellation.CancelAsync();
        await _ticking;
        _cancellation.Dispose();
    }
}

using Microsoft.Extensions.Time.Testing;

namespace VirtWeb.Tests.Live;

/// <summary>
/// When a subscriber's changes go out, on a fake clock that moves only when a test says so: a change that finds the
/// channel quiet goes out at once, the changes that follow it within the window wait for the window's end together.
/// </summary>
public sealed class LiveDeliveryTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(75);

    private readonly FakeTimeProvider _clock = new();
    private readonly CancellationTokenSource _cancellation = new(TimeSpan.FromSeconds(30));
    private readonly LiveCollection<Item> _items;

    public LiveDeliveryTests() => _items = new LiveCollection<Item>(item => item.Key, Window, _clock);

    private sealed record Item(string Key, string Value);

    [Fact]
    public async Task Subscribe_LoneChangeOnAQuietChannel_ArrivesWithoutTheClockMoving()
    {
        await using var changes = Subscribe();

        _items.Upsert(new Item("vm1", "running"), 1);

        Assert.True(await changes.MoveNextAsync().AsTask().WaitAsync(_cancellation.Token));
        Assert.Equal("running", Assert.Single(changes.Current).Item!.Value);
    }

    [Fact]
    public async Task Subscribe_TenChangesInsideTheWindow_ArriveAsOneBatchAtItsEnd()
    {
        await using var changes = Subscribe();
        _items.Upsert(new Item("vm0", "first"), 1);
        Assert.True(await changes.MoveNextAsync().AsTask().WaitAsync(_cancellation.Token));

        for (var i = 1; i <= 10; i++)
        {
            _items.Upsert(new Item($"vm{i}", "following"), i + 1);
        }

        var next = changes.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted, "the changes that follow a batch wait for the window");
        _clock.Advance(Window);

        Assert.True(await next.WaitAsync(_cancellation.Token));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"vm{i}"), changes.Current.Select(c => c.Key));
    }

    [Fact]
    public async Task Subscribe_ChangeAfterAQuietWindow_ArrivesAtOnceAgain()
    {
        await using var changes = Subscribe();
        _items.Upsert(new Item("vm1", "running"), 1);
        Assert.True(await changes.MoveNextAsync().AsTask().WaitAsync(_cancellation.Token));
        _clock.Advance(Window);

        _items.Upsert(new Item("vm1", "paused"), 2);

        Assert.True(await changes.MoveNextAsync().AsTask().WaitAsync(_cancellation.Token));
        Assert.Equal("paused", Assert.Single(changes.Current).Item!.Value);
    }

    [Fact]
    public async Task Subscribe_SameKeyChangedInsideTheWindow_ArrivesOnceWithTheLatestState()
    {
        await using var changes = Subscribe();
        _items.Upsert(new Item("vm1", "running"), 1);
        Assert.True(await changes.MoveNextAsync().AsTask().WaitAsync(_cancellation.Token));

        _items.Upsert(new Item("vm1", "paused"), 2);
        _items.Upsert(new Item("vm1", "running again"), 3);
        var next = changes.MoveNextAsync().AsTask();
        _clock.Advance(Window);

        Assert.True(await next.WaitAsync(_cancellation.Token));
        Assert.Equal("running again", Assert.Single(changes.Current).Item!.Value);
    }

    private IAsyncEnumerator<IReadOnlyList<LiveChange<Item>>> Subscribe() =>
        _items.Subscribe(cancellationToken: _cancellation.Token).Changes.GetAsyncEnumerator(_cancellation.Token);

    public void Dispose() => _cancellation.Dispose();
}

namespace VirtWeb.Live;

/// <summary>
/// What a page holds open while it shows live state (its <see cref="LiveView{TItem}"/>s, a <see cref="LiveClock"/>, a
/// poller's "someone is looking"), let go of together: the page adds each as it opens it and disposes the set once.
/// Disposing empties the set, so a page that starts watching something else can fill it again.
/// </summary>
public sealed class LiveViews : IAsyncDisposable
{
    private readonly List<object> _held = [];

    public T Add<T>(T held)
        where T : IAsyncDisposable
    {
        _held.Add(held);
        return held;
    }

    public IDisposable Add(IDisposable held)
    {
        _held.Add(held);
        return held;
    }

    public async ValueTask DisposeAsync()
    {
        // Newest first, the reverse of opening; each view cancels and awaits its own loop.
        for (var i = _held.Count - 1; i >= 0; i--)
        {
            switch (_held[i])
            {
                case IAsyncDisposable view:
                    await view.DisposeAsync();
                    break;
                case IDisposable other:
                    other.Dispose();
                    break;
            }
        }

        _held.Clear();
    }
}

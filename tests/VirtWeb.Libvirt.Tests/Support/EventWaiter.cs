using System.Threading.Channels;

namespace VirtWeb.Libvirt.Tests.Support;

/// <summary>Collects events through a channel and waits for a matching one until a deadline; no sleeping.</summary>
internal sealed class EventWaiter
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly Channel<LibvirtEvent> _channel = Channel.CreateUnbounded<LibvirtEvent>();
    private readonly List<LibvirtEvent> _seen = [];

    public ChannelWriter<LibvirtEvent> Writer => _channel.Writer;

    public IReadOnlyList<LibvirtEvent> Seen => _seen;

    public async Task<T> WaitForAsync<T>(Func<T, bool>? match = null, TimeSpan? timeout = null)
        where T : LibvirtEvent
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (true)
            {
                var next = await _channel.Reader.ReadAsync(deadline.Token);
                _seen.Add(next);
                if (next is T typed && (match is null || match(typed)))
                {
                    return typed;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No matching {typeof(T).Name} within {timeout ?? DefaultTimeout}; saw: {string.Join(", ", _seen)}");
        }
    }

    /// <summary>Events already delivered, without waiting.</summary>
    public IReadOnlyList<LibvirtEvent> Drain()
    {
        while (_channel.Reader.TryRead(out var next))
        {
            _seen.Add(next);
        }
        return _seen;
    }
}

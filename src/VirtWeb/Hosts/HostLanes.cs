using System.Collections.Concurrent;

namespace VirtWeb.Hosts;

/// <summary>
/// A bounded lane per host for blocking libvirt calls of actions. A call to a frozen host blocks its thread until
/// keepalive gives up (about 8 s): without a bound, clicks on one frozen host's guests could take every thread-pool
/// worker and stall every other host and page. Each host gets <see cref="Width"/> calls at a time; a call that finds
/// its lane full for <see cref="Wait"/> is refused with "not answering" before it touches anything.
/// </summary>
public sealed class HostLanes(LiveStateStore store)
{
    public const int Width = 4;

    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _lanes = new();

    public async Task<T> RunAsync<T>(Guid hostId, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var lane = _lanes.GetOrAdd(hostId, _ => new SemaphoreSlim(Width, Width));
        if (!await lane.WaitAsync(Wait, cancellationToken))
        {
            var name = store.Hosts.Find(hostId.ToString())?.Name ?? "The host";
            throw new HostUnavailableException(
                $"{name} is not answering: {Width} earlier calls to it are still waiting for libvirt. Nothing was changed; " +
                "try again once it reads Connected.");
        }

        try
        {
            return await Task.Run(call, cancellationToken);
        }
        finally
        {
            lane.Release();
        }
    }
}

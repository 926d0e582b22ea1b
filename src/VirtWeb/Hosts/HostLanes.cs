using System.Collections.Concurrent;

namespace VirtWeb.Hosts;

/// <summary>
/// A bounded lane per host for the blocking libvirt calls of actions. A call to a frozen host blocks its thread until
/// keepalive gives up (about 8 s): without a bound, clicks on one frozen host's guests (a bulk action on hundreds) could
/// take every thread-pool worker and stall every other host and page. Each host runs <see cref="Width"/> calls at a
/// time; the rest wait without holding a thread, and once keepalive has dropped the host they fail at once.
/// </summary>
public sealed class HostLanes
{
    /// <summary>libvirtd's default <c>max_client_requests</c>: more at once from one connection would queue there anyway.</summary>
    public const int Width = 5;

    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _lanes = new();

    public async Task<T> RunAsync<T>(Guid hostId, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var lane = _lanes.GetOrAdd(hostId, _ => new SemaphoreSlim(Width, Width));
        await lane.WaitAsync(cancellationToken);
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

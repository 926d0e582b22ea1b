namespace VirtWeb.Guests;

/// <summary>
/// Follows the live guests and calls back once each time a guest becomes askable (say, its agent connected on a running
/// guest), from the same live changes the pages get. A guest that stops being askable (stop, reboot, agent gone) is
/// called back again when it comes back.
/// </summary>
public static class GuestAgentWatch
{
    public static async Task WatchAsync(LiveStateStore store, Func<GuestState, bool> askable, Action<string> becameAskable, CancellationToken stoppingToken)
    {
        var reachable = new HashSet<string>(StringComparer.Ordinal);
        var subscription = store.Guests.Subscribe(cancellationToken: stoppingToken);
        foreach (var guest in subscription.Snapshot.Where(askable))
        {
            reachable.Add(guest.Key);
            becameAskable(guest.Key);
        }

        try
        {
            await foreach (var batch in subscription.Changes.WithCancellation(stoppingToken))
            {
                foreach (var change in batch)
                {
                    if (change.Item is { } guest && askable(guest))
                    {
                        if (reachable.Add(change.Key))
                        {
                            becameAskable(change.Key);
                        }
                    }
                    else
                    {
                        reachable.Remove(change.Key);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

using System.Collections.Concurrent;
using VirtWeb.Guests;
using VirtWeb.Hosts;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.Snapshots;

/// <summary>What VirtWeb found after a cut-off snapshot and what it did about it, for the Snapshots tab.</summary>
public sealed record SnapshotRepairNote(DateTimeOffset At, string Text);

/// <summary>
/// Remembers every external create whose libvirtd went away under it (<see cref="SnapshotInFlight"/>) and repairs
/// what it left (<see cref="SnapshotRepair"/>) as soon as the host is connected again, under the guest's action lock
/// and audited as <c>snapshot.repair</c> by VirtWeb; and, should that not have run, before the next snapshot action on
/// that guest. What was found and done stays on the guest's Snapshots tab. Kept in memory: a create cut off by
/// VirtWeb's own restart leaves at worst an overlay no snapshot names, which the tab lists as a leftover.
/// </summary>
public sealed class SnapshotRepairs(LiveStateStore store, GuestActionLock actions, Images.StorageWatcher storage, ILogger<SnapshotRepairs> logger) : BackgroundService
{
    private static readonly TimeSpan BusyRetry = TimeSpan.FromSeconds(1);
    private const int BusyAttempts = 60;

    private static readonly ClaimsPrincipal VirtWebItself = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "VirtWeb")], "VirtWeb"));

    private readonly ConcurrentDictionary<string, SnapshotInFlight> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<SnapshotRepairNote>> _notes = new(StringComparer.Ordinal);

    /// <summary>Raised with host and guest after a repair changed what the guest's tree shows.</summary>
    public event Action<Guid, Guid>? Repaired;

    /// <summary>What was repaired on the guest, newest last.</summary>
    public IReadOnlyList<SnapshotRepairNote> NotesOf(string guestKey) => _notes.GetValueOrDefault(guestKey, []);

    /// <summary>Whether a cut-off create on the guest waits for its repair.</summary>
    public bool IsPending(string guestKey) => _inFlight.ContainsKey(guestKey);

    internal void Begin(SnapshotInFlight create) => _inFlight[GuestState.KeyOf(create.HostId, create.Uuid)] = create;

    internal void End(Guid hostId, Guid uuid) => _inFlight.TryRemove(GuestState.KeyOf(hostId, uuid), out _);

    /// <summary>Under the guest's lock, before a snapshot action: repairs a cut-off create first. Returns the sentence to put before the action's own, or "".</summary>
    internal async Task<string> RepairFirstAsync(Guid hostId, LibvirtDomain domain)
    {
        var key = GuestState.KeyOf(hostId, domain.Uuid);
        if (!_inFlight.TryGetValue(key, out var cut))
        {
            return "";
        }

        var text = await RepairAsync(hostId, domain, cut);
        return text.Length == 0 ? "" : $"First repaired a snapshot libvirtd stopped during: {text} ";
    }

    private async Task<string> RepairAsync(Guid hostId, LibvirtDomain domain, SnapshotInFlight cut)
    {
        var pools = SnapshotRepair.RefreshPools(domain.Connection, cut.Overlays);
        var notes = SnapshotRepair.Run(domain, SnapshotReader.Read(hostId, domain), cut);
        foreach (var pool in pools)
        {
            // The Images page and the tab's leftovers read the store: it must not keep a file the repair removed.
            await storage.RefreshPoolAsync(hostId, domain.Connection, pool);
        }

        var key = GuestState.KeyOf(hostId, domain.Uuid);
        _inFlight.TryRemove(key, out _);
        var at = DateTimeOffset.UtcNow;
        _notes.AddOrUpdate(key, _ => notes.Select(n => new SnapshotRepairNote(at, n)).ToList(), (_, old) => [.. old, .. notes.Select(n => new SnapshotRepairNote(at, n))]);
        logger.LogInformation("Repaired the cut-off snapshot {Snapshot} of {Guest}: {Notes}", cut.Name, domain.Name, string.Join(" ", notes));
        Repaired?.Invoke(hostId, domain.Uuid);
        return string.Join(" ", notes);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectedSince = new Dictionary<Guid, DateTimeOffset>();
        var subscription = store.Hosts.Subscribe(cancellationToken: stoppingToken);
        try
        {
            await foreach (var batch in subscription.Changes.WithCancellation(stoppingToken))
            {
                foreach (var host in batch.Select(c => c.Item).OfType<HostState>())
                {
                    if (host.Connection == HostConnectionState.Connected && connectedSince.GetValueOrDefault(host.HostId) != host.Since)
                    {
                        connectedSince[host.HostId] = host.Since;
                        _ = RepairHostAsync(host.HostId, stoppingToken);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RepairHostAsync(Guid hostId, CancellationToken stoppingToken)
    {
        foreach (var cut in _inFlight.Values.Where(c => c.HostId == hostId).ToList())
        {
            for (var attempt = 0; attempt < BusyAttempts && IsPending(GuestState.KeyOf(cut.HostId, cut.Uuid)); attempt++)
            {
                try
                {
                    var result = await actions.RunAsync(VirtWebItself, cut.HostId, cut.Uuid, "Repair snapshot", "snapshot.repair",
                        (_, domain) => _inFlight.TryGetValue(GuestState.KeyOf(cut.HostId, cut.Uuid), out var pending) ? RepairAsync(cut.HostId, domain, pending) : Task.FromResult("Nothing left to repair."),
                        stoppingToken);
                    if (result.Done)
                    {
                        break;
                    }
                }
                catch (GuestActionException e)
                {
                    // Audited by the lock; the next snapshot action on the guest tries again first.
                    logger.LogWarning(e, "Could not repair the cut-off snapshot {Snapshot} on {Guest}.", cut.Name, cut.Uuid);
                    break;
                }

                // Another action holds the guest (the create that was cut off may still be unwinding).
                await Task.Delay(BusyRetry, stoppingToken);
            }
        }
    }
}

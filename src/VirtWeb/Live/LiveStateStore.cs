using VirtWeb.Images;

namespace VirtWeb.Live;

/// <summary>
/// What VirtWeb knows of every host right now, written by each feature's watcher and read by pages and the hub.
/// Versions come from the same sequence libvirt events are stamped with, so an event received while a listing ran
/// outranks that listing.
/// </summary>
public sealed class LiveStateStore
{
    /// <summary>
    /// A change that finds a page quiet reaches it at once; the changes that follow within this window reach it together,
    /// so a burst becomes one render per window.
    /// </summary>
    public static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(75);

    public LiveStateStore(TimeProvider timeProvider)
    {
        Hosts = new LiveCollection<HostState>(host => host.Key, BatchWindow, timeProvider);
        Pools = new LiveCollection<PoolState>(pool => pool.Key, BatchWindow, timeProvider);
        Volumes = new LiveCollection<VolumeState>(volume => volume.Key, BatchWindow, timeProvider);
        Guests = new LiveCollection<VirtWeb.Guests.GuestState>(guest => guest.Key, BatchWindow, timeProvider);
        Networks = new LiveCollection<VirtWeb.Networks.NetworkState>(network => network.Key, BatchWindow, timeProvider);
        Nics = new LiveCollection<VirtWeb.Networks.GuestNicState>(nic => nic.Key, BatchWindow, timeProvider);
        Leases = new LiveCollection<VirtWeb.Networks.LeaseState>(lease => lease.Key, BatchWindow, timeProvider);
    }

    public LiveCollection<HostState> Hosts { get; }

    public LiveCollection<PoolState> Pools { get; }

    public LiveCollection<VolumeState> Volumes { get; }

    public LiveCollection<VirtWeb.Guests.GuestState> Guests { get; }

    public LiveCollection<VirtWeb.Networks.NetworkState> Networks { get; }

    /// <summary>Every guest's network cards, by host, guest and MAC.</summary>
    public LiveCollection<VirtWeb.Networks.GuestNicState> Nics { get; }

    public LiveCollection<VirtWeb.Networks.LeaseState> Leases { get; }

    /// <summary>Re-evaluates every filtered page's view, after who may see what changed.</summary>
    public void Refilter()
    {
        Hosts.Refilter();
        Pools.Refilter();
        Volumes.Refilter();
        Guests.Refilter();
        Networks.Refilter();
        Nics.Refilter();
        Leases.Refilter();
    }

    /// <summary>A version for a write; take it when the fact was observed, not when it is stored.</summary>
    public long NextVersion() => LibvirtEventLoop.Instance.NextSequence();
}

using VirtWeb.Hosts;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.Networks;

/// <summary>
/// libvirt has no lease events, so the leases of every active network are read on a short poll (one call per network).
/// It runs whether or not anyone looks, because the Machine IDs page's client-ID check needs to have seen each
/// guest's lease: when a clone takes over its source's lease, the source's entry is gone from dnsmasq, and only what
/// was seen before tells who else sent that client ID.
/// </summary>
public sealed class LeasePoller(LiveStateStore store, IServiceProvider services, ILogger<LeasePoller> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    private readonly PollLoop _poll = new(PollInterval);

    /// <summary>
    /// The client ID each card (by host and MAC) last presented, from every lease seen since VirtWeb started; kept in
    /// memory only, so after a restart a takeover shows again once both cards renewed.
    /// </summary>
    public LiveCollection<ClientIdSighting> ClientIds { get; } = new(s => s.Key, LiveStateStore.BatchWindow, TimeProvider.System);

    /// <summary>Reads every host's leases soon rather than at the next tick.</summary>
    public void RefreshSoon() => _poll.Wake();

    /// <summary>Reads one host's leases now.</summary>
    public async Task RefreshAsync(Guid hostId, LibvirtConnection connection)
    {
        var version = store.NextVersion();
        // A host without an active network (as the watcher last read it) has no leases: no call to libvirt at all.
        var leases = store.Networks.Current(n => n.HostId == hostId && n.Active).Count == 0
            ? []
            : await Task.Run(() => Read(hostId, connection));
        Record(hostId, leases, version);
        store.Leases.Replace(leases, version, l => l.HostId == hostId);
        FillAddresses(store, hostId, leases);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _poll.RunAsync(async _ =>
    {
        foreach (var host in store.Hosts.Current(h => h.Connection == HostConnectionState.Connected))
        {
            try
            {
                await RefreshAsync(host.HostId, services.GetRequiredService<IHostConnections>().GetConnection(host.HostId));
            }
            catch (Exception e) when (e is LibvirtException or HostUnavailableException or ObjectDisposedException)
            {
                logger.LogDebug("Reading leases of {Host} failed: {Message}", host.Name, e.Message);
            }
        }
    }, stoppingToken);

    private static List<LeaseState> Read(Guid hostId, LibvirtConnection connection)
    {
        var leases = new List<LeaseState>();
        foreach (var network in connection.ListNetworks(NetworkListFlags.Active))
        {
            using (network)
            {
                try
                {
                    leases.AddRange(network.GetDhcpLeases().Select(l => new LeaseState(
                        hostId, network.Name, l.Mac.ToLowerInvariant(), l.IpAddress, l.Prefix, l.Type, l.Hostname, l.ClientId, l.Expiry)));
                }
                catch (LibvirtException e) when (e.Code is LibvirtErrorCode.NoSupport or LibvirtErrorCode.NoNetwork or LibvirtErrorCode.OperationInvalid)
                {
                    // The test driver has no leases; a network stopped while we listed has none any more.
                }
            }
        }

        return leases;
    }

    private void Record(Guid hostId, List<LeaseState> leases, long version)
    {
        // The newest lease of a card says what it sends now (a renewed client ID leaves the old lease until it expires).
        foreach (var lease in leases.Where(l => l.ClientId is not null).GroupBy(l => l.Mac).Select(g => g.MaxBy(l => l.Expiry)!))
        {
            var sighting = new ClientIdSighting(hostId, lease.Mac, lease.ClientId!, lease.NetworkName, lease.IpAddress);
            if (ClientIds.Find(sighting.Key) != sighting)
            {
                ClientIds.Upsert(sighting, version);
            }
        }
    }

    /// <summary>
    /// A running guest whose agent reports no address shows its cards' leases instead (IPv4 first); what the agent
    /// reports wins whenever it answers (<see cref="Guests.GuestAddressPoller"/>).
    /// </summary>
    internal static void FillAddresses(LiveStateStore store, Guid hostId, IReadOnlyList<LeaseState> leases)
    {
        foreach (var group in store.Nics.Current(n => n.HostId == hostId && n.GuestRunning).GroupBy(n => n.GuestKey))
        {
            var macs = group.Select(n => n.Mac).ToHashSet(StringComparer.Ordinal);
            var addresses = leases.Where(l => macs.Contains(l.Mac)).OrderBy(l => l.Type).ThenByDescending(l => l.Expiry)
                .Select(l => l.IpAddress).Distinct().ToList();
            if (addresses.Count == 0)
            {
                continue;
            }

            store.Guests.Update(group.Key, guest =>
                guest.IsActive && (!guest.HasAgent || guest.Addresses.Count == 0) && !guest.Addresses.SequenceEqual(addresses, StringComparer.Ordinal)
                    ? guest with { Addresses = addresses }
                    : null);
        }
    }
}

/// <summary>The client ID a card (<see cref="Mac"/> on host <see cref="HostId"/>) last sent: on which network, for which address.</summary>
public sealed record ClientIdSighting(Guid HostId, string Mac, string ClientId, string Network, string IpAddress)
{
    public string Key => $"{HostId}/{Mac}";
}

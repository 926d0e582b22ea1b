namespace VirtWeb.Usage;

/// <summary>What one sampling round of a host found.</summary>
public sealed record UsageRound(DateTimeOffset At, bool Full, IReadOnlyList<GuestUsage> Guests, HostUsage? Host, TimeSpan LibvirtTime);

/// <summary>
/// One host's sampling state: the previous counters of every running guest and of the host, from which the next
/// round's rates come. Not thread-safe: one host's rounds run one after the other (<see cref="UsageSampler"/>).
/// </summary>
public sealed class HostSampler(Guid hostId, TimeProvider timeProvider)
{
    private Dictionary<Guid, GuestCounters> _guests = [];
    private HostCounters? _host;
    private bool _nodeMemoryUnsupported;

    public Guid HostId => hostId;

    /// <summary>
    /// A full round: every running guest in one <c>virConnectGetAllDomainStats</c> call, and the host's counters. Guests
    /// that are no longer running drop out (a later start begins without a previous reading).
    /// </summary>
    public UsageRound SampleAll(LibvirtConnection connection, int hostCpus)
    {
        var started = timeProvider.GetTimestamp();
        var stats = connection.GetAllDomainStats(GuestCounters.Groups, DomainStatsFlags.Active);
        var cpu = connection.GetNodeCpuStats();
        IReadOnlyDictionary<string, ulong>? memory = null;
        if (!_nodeMemoryUnsupported)
        {
            try
            {
                memory = connection.GetNodeMemoryStats();
            }
            catch (LibvirtException e) when (e.Code is LibvirtErrorCode.NoSupport)
            {
                _nodeMemoryUnsupported = true; // the test driver: the host's memory is "not reported"
            }
        }

        var elapsed = timeProvider.GetElapsedTime(started);
        var at = timeProvider.GetUtcNow();
        var next = new Dictionary<Guid, GuestCounters>(stats.Count);
        var guests = new List<GuestUsage>(stats.Count);
        foreach (var record in stats)
        {
            var counters = GuestCounters.From(hostId, record, at);
            guests.Add(UsageRates.Guest(_guests.GetValueOrDefault(counters.Uuid), counters, hostCpus));
            next[counters.Uuid] = counters;
        }

        _guests = next;
        var hostCounters = HostCounters.From(hostId, at, hostCpus, cpu, memory);
        var host = UsageRates.Host(_host, hostCounters, guests);
        _host = hostCounters;
        return new UsageRound(at, true, guests, host, elapsed);
    }

    /// <summary>A quick round for the guests someone is looking at, in one <c>virDomainListGetStats</c> call.</summary>
    public UsageRound SampleWatched(LibvirtConnection connection, IReadOnlyList<Guid> uuids, int hostCpus)
    {
        var started = timeProvider.GetTimestamp();
        var domains = new List<LibvirtDomain>(uuids.Count);
        try
        {
            foreach (var uuid in uuids)
            {
                try
                {
                    var domain = connection.GetDomainByUuid(uuid);
                    if (domain.IsActive)
                    {
                        domains.Add(domain);
                    }
                    else
                    {
                        domain.Dispose();
                    }
                }
                catch (LibvirtException e) when (e.Code is LibvirtErrorCode.NoDomain)
                {
                    // undefined while someone looked: nothing to sample
                }
            }

            var stats = connection.GetDomainStats(domains, GuestCounters.Groups);
            var elapsed = timeProvider.GetElapsedTime(started);
            var at = timeProvider.GetUtcNow();
            var guests = new List<GuestUsage>(stats.Count);
            foreach (var record in stats)
            {
                var counters = GuestCounters.From(hostId, record, at);
                guests.Add(UsageRates.Guest(_guests.GetValueOrDefault(counters.Uuid), counters, hostCpus));
                _guests[counters.Uuid] = counters;
            }

            return new UsageRound(at, false, guests, null, elapsed);
        }
        finally
        {
            foreach (var domain in domains)
            {
                domain.Dispose();
            }
        }
    }
}

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
    private bool _statsUnsupported;

    public Guid HostId => hostId;

    /// <summary>
    /// A full round: every running guest in one <c>virConnectGetAllDomainStats</c> call, and the host's counters. Guests
    /// that are no longer running drop out (a later start begins without a previous reading).
    /// </summary>
    public UsageRound SampleAll(LibvirtConnection connection, int hostCpus)
    {
        var started = timeProvider.GetTimestamp();
        var read = ReadAll(connection);
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
        var all = read(at);
        var next = new Dictionary<Guid, GuestCounters>(all.Count);
        var guests = new List<GuestUsage>(all.Count);
        foreach (var counters in all)
        {
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

            var read = _statsUnsupported ? FromInfo(domains) : ReadStats(connection, domains);
            var elapsed = timeProvider.GetElapsedTime(started);
            var at = timeProvider.GetUtcNow();
            var all = read(at);
            var guests = new List<GuestUsage>(all.Count);
            foreach (var counters in all)
            {
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

    /// <summary>Every running guest's counters: one bulk stats call, or, where the driver has none (LXC), <see cref="FromInfo"/>.</summary>
    private Func<DateTimeOffset, IReadOnlyList<GuestCounters>> ReadAll(LibvirtConnection connection)
    {
        if (!_statsUnsupported)
        {
            try
            {
                var stats = connection.GetAllDomainStats(GuestCounters.Groups, DomainStatsFlags.Active);
                return at => stats.Select(record => GuestCounters.From(hostId, record, at)).ToList();
            }
            catch (LibvirtException e) when (e.Code is LibvirtErrorCode.NoSupport)
            {
                _statsUnsupported = true;
            }
        }

        var domains = connection.ListDomains(DomainListFlags.Active);
        try
        {
            return FromInfo(domains);
        }
        finally
        {
            foreach (var domain in domains)
            {
                domain.Dispose();
            }
        }
    }

    private Func<DateTimeOffset, IReadOnlyList<GuestCounters>> ReadStats(LibvirtConnection connection, IReadOnlyList<LibvirtDomain> domains)
    {
        try
        {
            var stats = connection.GetDomainStats(domains, GuestCounters.Groups);
            return at => stats.Select(record => GuestCounters.From(hostId, record, at)).ToList();
        }
        catch (LibvirtException e) when (e.Code is LibvirtErrorCode.NoSupport)
        {
            _statsUnsupported = true;
            return FromInfo(domains);
        }
    }

    /// <summary>
    /// What libvirt's LXC driver gives without the stats API: virDomainGetInfo's CPU time and memory (for a container,
    /// the memory its cgroup uses, not a balloon's view), no disk or network counters.
    /// </summary>
    private Func<DateTimeOffset, IReadOnlyList<GuestCounters>> FromInfo(IReadOnlyList<LibvirtDomain> domains)
    {
        var infos = domains.Select(d => (d.Uuid, d.Name, Info: d.GetInfo())).ToList();
        return at => infos.Select(i => new GuestCounters(hostId, i.Uuid, i.Name, at, i.Info.VirtualCpus, (ulong)i.Info.CpuTime.Ticks * 100,
            i.Info.MemoryKiB, i.Info.MaxMemoryKiB, null, null, null, null, null, null)).ToList();
    }
}

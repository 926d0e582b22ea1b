namespace VirtWeb.Guests;

/// <summary>How many guests a host has in each state, counted from the live guests rather than asked of libvirt.</summary>
public sealed record GuestCounts(int Running, int Paused, int ShutOff, int Other)
{
    public static readonly GuestCounts None = new(0, 0, 0, 0);

    public int Total => Running + Paused + ShutOff + Other;

    public static GuestCounts Of(IEnumerable<GuestState> guests)
    {
        int running = 0, paused = 0, shutOff = 0, other = 0;
        foreach (var guest in guests)
        {
            switch (guest.State)
            {
                case DomainState.Running or DomainState.Blocked:
                    running++;
                    break;
                case DomainState.Paused or DomainState.PMSuspended:
                    paused++;
                    break;
                case DomainState.Shutoff:
                    shutOff++;
                    break;
                default:
                    other++;
                    break;
            }
        }

        return new GuestCounts(running, paused, shutOff, other);
    }

    /// <summary>The counts of every host that has guests; one pass over all of them.</summary>
    public static IReadOnlyDictionary<Guid, GuestCounts> ByHost(IEnumerable<GuestState> guests) =>
        guests.GroupBy(g => g.HostId).ToDictionary(g => g.Key, Of);
}

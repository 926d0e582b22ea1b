namespace VirtWeb.IntegrationTests.Infrastructure;

public static class LiveStateStoreExtensions
{
    /// <summary>A host's guest counts as the host pages show them: from the live guests of that host.</summary>
    public static GuestCounts GuestCountsOf(this LiveStateStore store, Guid hostId) =>
        GuestCounts.Of(store.Guests.Current(g => g.HostId == hostId));
}

namespace VirtWeb.Cluster;

/// <summary>
/// What the other instances must hear of at once. Alone (<see cref="LocalBus"/>) there is nobody to tell; with
/// <c>Cluster:Enabled</c> it is Redis (<see cref="LiveBus"/>).
/// </summary>
public interface IClusterBus
{
    /// <summary>A host was removed from the database: its live state goes from the bus and every instance's store.</summary>
    Task HostRemovedAsync(Guid hostId);
}

/// <summary>One process alone: nothing to tell.</summary>
public sealed class LocalBus : IClusterBus
{
    public Task HostRemovedAsync(Guid hostId) => Task.CompletedTask;
}

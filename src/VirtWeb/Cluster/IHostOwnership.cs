namespace VirtWeb.Cluster;

/// <summary>
/// Which hosts this instance supervises. Alone (<see cref="LocalOwnership"/>) it owns every host; with
/// <c>Cluster:Enabled</c> (<see cref="LeaseOwnership"/>) it owns the hosts whose lease it holds in PostgreSQL.
/// </summary>
public interface IHostOwnership
{
    bool IsClustered { get; }

    /// <summary>This instance's name in the lease tables (null when alone).</summary>
    string? InstanceId { get; }

    /// <summary>Whether this instance may run the host's supervisor now; false from the moment it starts stopping.</summary>
    bool Owns(Guid hostId);

    /// <summary>Starts handing hosts to <paramref name="listener"/> as they are gained and lost.</summary>
    Task StartAsync(IOwnershipListener listener, CancellationToken cancellationToken);

    /// <summary>Stops every owned host through the listener, then gives the leases up for others to take at once.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}

/// <summary>What runs a host while it is owned: <see cref="HostConnections"/>.</summary>
public interface IOwnershipListener
{
    /// <summary>The host was gained, or its name or URI changed while owned; start (or update) its supervisor.</summary>
    Task OwnedAsync(OwnedHost host);

    /// <summary>The host is no longer owned; returns once its supervisor has stopped.</summary>
    Task LostAsync(Guid hostId);
}

/// <param name="AcquiredAt">When the database granted the lease, in the database's clock.</param>
public sealed record OwnedHost(Guid HostId, string Name, string Uri, long Epoch, DateTimeOffset AcquiredAt);

/// <summary>One process alone, as VirtWeb always ran: every host is owned here and nothing is leased.</summary>
public sealed class LocalOwnership : IHostOwnership
{
    public bool IsClustered => false;

    public string? InstanceId => null;

    public bool Owns(Guid hostId) => true;

    public Task StartAsync(IOwnershipListener listener, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

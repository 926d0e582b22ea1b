namespace VirtWeb.Hosts;

/// <summary>The set of host connections: one <see cref="HostSupervisor"/> keeps each stored host connected.</summary>
public interface IHostConnections
{
    /// <summary>Starts the host's supervisor, or restarts it when its URI or name changed.</summary>
    Task ApplyAsync(HostRecord host);

    /// <summary>Stops the host's supervisor and forgets its live state.</summary>
    Task StopAsync(Guid hostId);

    /// <summary>The live connection of a connected host; throws <see cref="HostUnavailableException"/> otherwise.</summary>
    VirtWeb.Libvirt.LibvirtConnection GetConnection(Guid hostId);

    /// <summary>
    /// A connection of its own to a connected host, for one long operation (a volume clone, a snapshot, a managed save,
    /// a stats round): the binding lets one call at a time into libvirt per connection (GatedCall), so a long call on
    /// the shared connection would hold every page and action of that host behind it. The caller disposes it.
    /// Throws <see cref="HostUnavailableException"/> like <see cref="GetConnection"/>, and when the host does not answer.
    /// </summary>
    Task<SeparateConnection> OpenSeparateAsync(Guid hostId, CancellationToken cancellationToken = default);
}

/// <summary>
/// A connection for one long operation: its own, closed on dispose, or, for the in-process test driver (no daemon, no
/// RPC, and a second connection to a world file would open a second world), the host's shared one, left open.
/// </summary>
public sealed class SeparateConnection(VirtWeb.Libvirt.LibvirtConnection connection, bool owned) : IDisposable
{
    public VirtWeb.Libvirt.LibvirtConnection Connection => connection;

    public void Dispose()
    {
        if (owned)
        {
            connection.Dispose();
        }
    }
}

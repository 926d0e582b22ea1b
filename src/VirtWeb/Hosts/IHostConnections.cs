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
    /// A connection of the caller's own to a connected host (same URI, no events), for long bulk calls that must not
    /// hold up the supervisor's event connection; the caller disposes it. Throws <see cref="HostUnavailableException"/>
    /// when the host is not connected.
    /// </summary>
    Task<VirtWeb.Libvirt.LibvirtConnection> OpenOwnConnectionAsync(Guid hostId, CancellationToken cancellationToken);
}

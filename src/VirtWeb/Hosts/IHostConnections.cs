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
}

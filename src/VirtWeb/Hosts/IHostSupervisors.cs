using VirtWeb.Data;

namespace VirtWeb.Hosts;

/// <summary>Keeps one supervisor running per stored host.</summary>
public interface IHostSupervisors
{
    /// <summary>Starts the host's supervisor, or restarts it when its URI or name changed.</summary>
    Task ApplyAsync(HostRecord host);

    /// <summary>Stops the host's supervisor and forgets its live state.</summary>
    Task StopAsync(Guid hostId);

    /// <summary>The live connection of a connected host; throws <see cref="HostUnavailableException"/> otherwise.</summary>
    VirtWeb.Libvirt.LibvirtConnection GetConnection(Guid hostId);
}

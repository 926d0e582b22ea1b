namespace VirtWeb.Libvirt;

public abstract record NetworkEvent(string NetworkName, Guid NetworkUuid) : LibvirtEvent;

/// <summary>A network was defined, undefined, started or stopped; <see cref="Detail"/> is libvirt's (always 0 in 9.0).</summary>
public sealed record NetworkLifecycleEvent(string NetworkName, Guid NetworkUuid, NetworkLifecycleEventType Type, int Detail)
    : NetworkEvent(NetworkName, NetworkUuid);

namespace VirtWeb.Guests;

/// <summary>
/// Told of every guest <see cref="GuestWatcher"/> re-reads, with the definition it read (the live XML of a running
/// guest), so that what else is derived from a guest's XML (its network cards) costs libvirt no second read.
/// Called on the re-read's thread with the re-read's version; must not call libvirt.
/// </summary>
public interface IGuestReadListener
{
    void GuestRead(WatchedHost host, GuestState guest, DomainDefinition definition, long version);

    void GuestGone(WatchedHost host, Guid uuid, long version);
}

using VirtWeb.Libvirt.Interop;

namespace VirtWeb.Libvirt;

public sealed partial class LibvirtDomain
{
    /// <summary>
    /// Changes a device in place (<c>virDomainUpdateDeviceFlags</c>): for a network card, its link state or the network
    /// it is plugged into, matched by its MAC address, without the guest seeing the card go away.
    /// </summary>
    public void UpdateDevice(string deviceXml, DomainDeviceModifyFlags flags = DomainDeviceModifyFlags.Current) =>
        NativeHelpers.Check(Native.virDomainUpdateDeviceFlags(_handle.Counted, deviceXml, (uint)flags));
}

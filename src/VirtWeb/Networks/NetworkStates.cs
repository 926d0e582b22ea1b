using VirtWeb.Libvirt;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Networks;

/// <summary>A virtual network of a host, as the Networks page shows it.</summary>
public sealed record NetworkState(
    Guid HostId,
    string HostName,
    Guid Uuid,
    string Name,
    NetworkMode Mode,
    string? ForwardMode,
    string? ForwardDevice,
    string? Bridge,
    bool Active,
    bool Autostart,
    bool Persistent,
    IReadOnlyList<NetworkAddress> Addresses) : Live.ILiveItem
{
    public string Key => KeyOf(HostId, Uuid);

    /// <summary>Where grants on this network are given.</summary>
    public string AccessPath => Access.AccessPaths.Network(HostId, Name);

    public static string KeyOf(Guid hostId, Guid uuid) => $"{hostId}/{uuid}";
}

/// <summary>
/// One network card of a guest, live where the guest runs, else from its definition. <see cref="Network"/> is set for
/// a card on a libvirt network, <see cref="Bridge"/> for one plugged into a host bridge directly.
/// </summary>
public sealed record GuestNicState(
    Guid HostId,
    Guid GuestUuid,
    string GuestName,
    bool GuestRunning,
    string Mac,
    string Type,
    string? Network,
    string? Bridge,
    string? Model,
    bool LinkUp,
    string? Device) : Live.ILiveItem
{
    public string Key => KeyOf(HostId, GuestUuid, Mac);

    /// <summary>A card goes with its guest: whoever may see the guest sees its cards.</summary>
    public string AccessPath => Access.AccessPaths.Guest(HostId, GuestUuid);

    public string GuestKey => Guests.GuestState.KeyOf(HostId, GuestUuid);

    public static string KeyOf(Guid hostId, Guid guestUuid, string mac) => $"{hostId}/{guestUuid}/{mac}";
}

/// <summary>A DHCP lease a network's dnsmasq handed out.</summary>
public sealed record LeaseState(
    Guid HostId,
    string NetworkName,
    string Mac,
    string IpAddress,
    int Prefix,
    IpAddressType Type,
    string? Hostname,
    string? ClientId,
    DateTimeOffset Expiry) : Live.ILiveItem
{
    public string Key => $"{HostId}/{NetworkName}/{Mac}/{IpAddress}";

    /// <summary>Leases are part of their network.</summary>
    public string AccessPath => Access.AccessPaths.Network(HostId, NetworkName);
}

using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Networks;

/// <summary>Each network mode in plain words: who can reach the guest, and whom the guest can reach.</summary>
public static class NetworkModes
{
    public static string Title(NetworkMode mode) => mode switch
    {
        NetworkMode.Nat => "NAT",
        NetworkMode.Routed => "Routed",
        NetworkMode.Isolated => "Isolated",
        NetworkMode.Open => "Open",
        NetworkMode.Bridge => "Bridge",
        NetworkMode.Direct => "Direct (macvtap)",
        _ => "Other",
    };

    public static string Explain(NetworkMode mode) => mode switch
    {
        NetworkMode.Nat =>
            "Guests reach the host, each other and, through the host's address, the outside world; from outside nobody reaches the guests.",
        NetworkMode.Routed =>
            "Guests reach the host, each other and the outside world with their own addresses; others reach them only where a route to this network points at the host.",
        NetworkMode.Isolated =>
            "Guests reach each other and the host, and nothing beyond it; nothing beyond the host reaches them.",
        NetworkMode.Open =>
            "Like routed, but libvirt adds no firewall rules: whatever the host's own firewall and routes allow.",
        NetworkMode.Bridge =>
            "Guests sit on the host's LAN like any other machine: they reach it and it reaches them; its DHCP server gives their addresses.",
        NetworkMode.Direct =>
            "Guests sit on the LAN through the host's card (macvtap): the LAN reaches them and they reach it, but they cannot talk to the host itself.",
        _ => "Cards handed to guests directly or a mode VirtWeb does not describe; see the network's XML.",
    };
}

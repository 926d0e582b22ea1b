namespace VirtWeb.Libvirt;

/// <summary><c>virConnectListAllNetworksFlags</c>; none lists every network.</summary>
[Flags]
public enum NetworkListFlags
{
    None = 0,
    Inactive = 1 << 0,
    Active = 1 << 1,
    Persistent = 1 << 2,
    Transient = 1 << 3,
    Autostart = 1 << 4,
    NoAutostart = 1 << 5,
}

/// <summary><c>virNetworkXMLFlags</c>.</summary>
[Flags]
public enum NetworkXmlFlags
{
    None = 0,

    /// <summary>The persistent definition rather than the running one.</summary>
    Inactive = 1 << 0,
}

/// <summary><c>virNetworkUpdateCommand</c>.</summary>
public enum NetworkUpdateCommand
{
    Modify = 1,
    Delete = 2,
    AddLast = 3,
    AddFirst = 4,
}

/// <summary><c>virNetworkUpdateSection</c>: which part of the definition an update changes.</summary>
public enum NetworkUpdateSection
{
    Bridge = 1,
    Domain = 2,
    Ip = 3,
    IpDhcpHost = 4,
    IpDhcpRange = 5,
    Forward = 6,
    ForwardInterface = 7,
    ForwardPf = 8,
    Portgroup = 9,
    DnsHost = 10,
    DnsTxt = 11,
    DnsSrv = 12,
}

/// <summary><c>virNetworkUpdateFlags</c>: the running network, the definition, or whichever the network has.</summary>
[Flags]
public enum NetworkUpdateFlags
{
    Current = 0,
    Live = 1 << 0,
    Config = 1 << 1,
}

/// <summary><c>virNetworkEventLifecycleType</c>.</summary>
public enum NetworkLifecycleEventType
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Stopped = 3,
}

/// <summary>The network events one can subscribe to; values are <c>VIR_NETWORK_EVENT_ID_*</c>.</summary>
public enum NetworkEventKind
{
    Lifecycle = 0,
}

/// <summary><c>virIPAddrType</c>.</summary>
public enum IpAddressType
{
    IPv4 = 0,
    IPv6 = 1,
}

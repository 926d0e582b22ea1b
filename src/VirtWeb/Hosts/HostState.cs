namespace VirtWeb.Hosts;

public enum HostConnectionState
{
    Connecting,
    Connected,
    Disconnected,
    Reconnecting,

    /// <summary>The stored URI is one <see cref="HostUriPolicy"/> refuses (saved before the policy): never opened; the reason says what to change.</summary>
    RefusedByPolicy,
}

/// <summary>
/// A host as the pages show it: its connection, and what VirtWeb learnt from it while connected. It changes with the
/// connection, not with every guest event: how many guests it has comes from the live guests (<see cref="GuestCounts"/>).
/// </summary>
public sealed record HostState(
    Guid HostId,
    string Name,
    string Uri,
    HostConnectionState Connection,
    DateTimeOffset Since,
    string? Reason = null,
    DateTimeOffset? NextAttemptAt = null,
    HostFacts? Facts = null) : Live.ILiveItem
{
    public string Key => HostId.ToString();

    /// <summary>Where grants on this host are given (see <see cref="Access.AccessPolicy"/>).</summary>
    public string AccessPath => Access.AccessPaths.Host(HostId);
}

public sealed record HostNumaCell(int Id, long MemoryKiB, int CpuCount);

/// <summary>What a connected host says about itself; read once per connection.</summary>
public sealed record HostFacts(
    string Driver,
    HypervisorKind Kind,
    string Hostname,
    Version LibvirtVersion,
    Version? HypervisorVersion,
    string? HostUuid,
    string CpuArchitecture,
    string? CpuModel,
    string? CpuVendor,
    int CpuCount,
    int CpuMhz,
    int Sockets,
    int CoresPerSocket,
    int ThreadsPerCore,
    long MemoryKiB,
    IReadOnlyList<HostNumaCell> NumaCells,
    string? HardwareVirtualization,
    bool KvmUsable);

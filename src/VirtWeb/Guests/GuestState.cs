namespace VirtWeb.Guests;

/// <summary>Whether a guest runs its own kernel (a VM) or shares the host's (a libvirt LXC container).</summary>
public enum GuestKind
{
    VirtualMachine,
    Container,
}

/// <summary>
/// A guest as the pages show it. <see cref="HostConnected"/> false means the state is the last one seen before the
/// host's connection dropped, so it is unknown now. <see cref="RunningSince"/> is exact when VirtWeb saw the start;
/// when the guest was already running at connect time it is the connect time and <see cref="UptimeIsLowerBound"/> is set.
/// <see cref="IsTemplate"/>: marked as a template in its VirtWeb metadata (see <see cref="Templates.TemplateMarks"/>); it refuses to start.
/// </summary>
public sealed record GuestState(
    Guid HostId,
    string HostName,
    Guid Uuid,
    string Name,
    DomainState State,
    string Reason,
    int Vcpus,
    ulong MaxMemoryKiB,
    ulong MemoryKiB,
    VirtualizationMode Mode,
    GuestKind Kind,
    bool Autostart,
    bool Persistent,
    bool HasManagedSave,
    bool HasAgent,
    DateTimeOffset? RunningSince,
    bool UptimeIsLowerBound,
    IReadOnlyList<string> Addresses,
    bool HostConnected = true,
    bool IsTemplate = false) : Live.ILiveItem
{
    // Read-only, so that the key and access path made from them once cannot go stale through a `with`: every page's view,
    // every subscriber's set and the list's order then share one key string per guest state instead of making their own.
    public Guid HostId { get; } = HostId;

    public Guid Uuid { get; } = Uuid;

    public string Key { get; } = KeyOf(HostId, Uuid);

    /// <summary>Where grants on this guest are given (see <see cref="Access.AccessPolicy"/>).</summary>
    public string AccessPath { get; } = Access.AccessPaths.Guest(HostId, Uuid);

    public static string KeyOf(Guid hostId, Guid uuid) => $"{hostId}/{uuid}";

    /// <summary>Whether <paramref name="key"/> (see <see cref="KeyOf"/>) is the key of a guest on <paramref name="hostId"/>.</summary>
    public static bool IsKeyOn(string key, Guid hostId) => key.StartsWith($"{hostId}/", StringComparison.Ordinal);

    public bool IsActive => State is DomainState.Running or DomainState.Paused or DomainState.Blocked
        or DomainState.Shutdown or DomainState.PMSuspended or DomainState.Crashed;

    /// <summary>The state in the words the list shows: "Running", "Shut off", "Unknown" while the host is away.</summary>
    public string StateText => HostConnected ? GuestText.State(State) : "Unknown";

    public string ReasonText => HostConnected ? Reason : $"host disconnected; last seen {GuestText.State(State).ToLowerInvariant()}";
}

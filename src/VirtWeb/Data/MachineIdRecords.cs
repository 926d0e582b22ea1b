namespace VirtWeb.Data;

/// <summary>
/// One machine ID seen on one host or guest from one source. Seeing the same id again moves <see cref="LastSeen"/>;
/// a new id from the same source is a new row, so the history of a subject's ids stays (duplicates over time).
/// </summary>
public sealed class MachineIdObservationRecord
{
    public long Id { get; set; }

    /// <summary>
    /// Who has the id: <c>{hostUuid}</c> for a hypervisor host, <c>{hostUuid}/{guestUuid}</c> for a guest. The host part
    /// is libvirt's host UUID, so two VirtWeb host entries for one libvirtd are one machine, not a duplicate.
    /// </summary>
    public required string SubjectKey { get; set; }

    /// <summary><c>Host</c> or <c>Guest</c>.</summary>
    public required string SubjectKind { get; set; }

    /// <summary>The VirtWeb host entry the id was last seen through.</summary>
    public Guid HostId { get; set; }

    public Guid? GuestUuid { get; set; }

    /// <summary>The host's or guest's name when last seen.</summary>
    public required string Name { get; set; }

    /// <summary>A <see cref="VirtWeb.MachineIds.MachineIdSource"/> name.</summary>
    public required string Source { get; set; }

    public required string MachineId { get; set; }

    public DateTimeOffset FirstSeen { get; set; }

    public DateTimeOffset LastSeen { get; set; }

    /// <summary>What VirtWeb found when it checked this id (a clone's verification, a mismatch); null when nothing to say.</summary>
    public string? Note { get; set; }

    /// <summary>True when the id needs attention beyond being a duplicate (a clone that kept its source's id).</summary>
    public bool Flagged { get; set; }
}

/// <summary>
/// An identity-safe clone whose new machine ID is still to be set or checked through its agent at first boot. Kept in
/// the database so a restart of VirtWeb between clone and first boot does not lose it.
/// </summary>
public sealed class MachineIdCloneRecord
{
    public long Id { get; set; }

    public Guid HostId { get; set; }

    public Guid CloneUuid { get; set; }

    public Guid SourceUuid { get; set; }

    /// <summary>The id VirtWeb gave the clone (its SMBIOS credential).</summary>
    public required string NewMachineId { get; set; }

    /// <summary>The source's id as the registry knew it at clone time, if it knew one.</summary>
    public string? SourceMachineId { get; set; }

    /// <summary><c>Pending</c>, <c>Verified</c> or <c>Flagged</c>.</summary>
    public required string State { get; set; }

    public string? Detail { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

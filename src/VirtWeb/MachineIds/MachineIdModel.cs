namespace VirtWeb.MachineIds;

/// <summary>Where VirtWeb read a machine ID.</summary>
public enum MachineIdSource
{
    /// <summary><c>/etc/machine-id</c> of the machine VirtWeb runs on, for a host reached through a local URI.</summary>
    HostFile,

    /// <summary>libvirt's host UUID; it is the machine-id where libvirtd runs with <c>host_uuid_source = "machine-id"</c>.</summary>
    LibvirtHostUuid,

    /// <summary>The guest's <c>/etc/machine-id</c>, read through the QEMU guest agent.</summary>
    GuestAgent,

    /// <summary>The guest's <c>/var/lib/dbus/machine-id</c>, read through the agent; recorded only when it differs from <c>/etc/machine-id</c>.</summary>
    GuestAgentDbus,

    /// <summary>The SMBIOS credential <c>io.systemd.credential:system.machine_id</c> in the guest's XML; used only at a boot with an empty <c>/etc/machine-id</c>.</summary>
    SmbiosCredential,
}

public enum MachineIdSubjectKind
{
    Host,
    Guest,
}

/// <summary>A subject's latest machine ID from one source, as the Machine IDs page shows it.</summary>
public sealed record MachineIdEntry(
    string SubjectKey,
    MachineIdSubjectKind Kind,
    Guid HostId,
    Guid? GuestUuid,
    string Name,
    MachineIdSource Source,
    string MachineId,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string? Note = null,
    bool Flagged = false)
{
    public string Key => KeyOf(SubjectKey, Source);

    public static string KeyOf(string subjectKey, MachineIdSource source) => $"{subjectKey}|{source}";

    /// <summary>The guest's SMBIOS system UUID is its libvirt UUID (unless the XML overrides it, which VirtWeb never does).</summary>
    public Guid? SmbiosUuid => GuestUuid;

    /// <summary>What actually runs: the credential counts only until the agent has reported the id the guest took.</summary>
    public bool IsIntent => Source == MachineIdSource.SmbiosCredential;
}

/// <summary>One machine ID held by more than one host or guest.</summary>
public sealed record MachineIdDuplicate(string MachineId, IReadOnlyList<MachineIdEntry> Holders);

/// <summary>Subject keys: the host part is libvirt's host UUID, so one libvirtd added twice is one machine.</summary>
public static class MachineIdSubjects
{
    public static string Host(string hostIdentity) => hostIdentity;

    public static string Guest(string hostIdentity, Guid guestUuid) => $"{hostIdentity}/{guestUuid}";

    /// <summary>
    /// Which machine a host entry reaches: libvirt's host UUID and the host name it reports, so one libvirtd added twice
    /// is one machine, while two hypervisors cloned from one image (same machine-id, so the same host UUID with
    /// <c>host_uuid_source = "machine-id"</c>) but renamed stay two, and their shared id shows as a duplicate. Without a
    /// UUID (not connected yet) VirtWeb's id for the entry stands in.
    /// </summary>
    public static string HostIdentity(Guid hostId, HostFacts? facts) =>
        facts is not null && Guid.TryParse(facts.HostUuid, out var uuid) && uuid != Guid.Empty
            ? $"{uuid}@{(facts.Hostname.Length <= 48 ? facts.Hostname : facts.Hostname[..48])}"
            : $"entry-{hostId}";

    /// <summary>What a duplicate machine ID breaks, in one line for the page.</summary>
    public const string WhatADuplicateBreaks =
        "Machines that share a machine ID get the same DHCP lease (the DHCP client identifier is derived from it), " +
        "their journald logs are mixed up, and every tool keyed on it (systemd, D-Bus, monitoring agents) takes them for one machine.";

    /// <summary>
    /// The ids more than one subject holds. A subject counts with what it runs: its agent-read ids, and its SMBIOS
    /// credential only while no agent has reported one. Subjects <paramref name="isGone"/> says were deleted do not count;
    /// a stopped guest or a disconnected host still does (it will come back with the id it had).
    /// </summary>
    public static IReadOnlyList<MachineIdDuplicate> FindDuplicates(IEnumerable<MachineIdEntry> entries, Func<MachineIdEntry, bool>? isGone = null)
    {
        var live = entries.Where(e => !(isGone?.Invoke(e) ?? false)).ToList();
        var agentSeen = live.Where(e => e.Source is MachineIdSource.GuestAgent or MachineIdSource.GuestAgentDbus)
            .Select(e => e.SubjectKey).ToHashSet(StringComparer.Ordinal);
        return live
            .Where(e => !(e.IsIntent && agentSeen.Contains(e.SubjectKey)))
            .GroupBy(e => e.MachineId, StringComparer.Ordinal)
            .Where(g => g.Select(e => e.SubjectKey).Distinct(StringComparer.Ordinal).Count() > 1)
            .Select(g => new MachineIdDuplicate(g.Key, g.OrderBy(e => e.Name, StringComparer.CurrentCultureIgnoreCase).ThenBy(e => e.Source).ToList()))
            .OrderBy(d => d.MachineId, StringComparer.Ordinal)
            .ToList();
    }
}

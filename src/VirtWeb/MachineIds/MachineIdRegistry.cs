namespace VirtWeb.MachineIds;

/// <summary>A machine ID seen somewhere, to be recorded.</summary>
public sealed record MachineIdObservation(
    string SubjectKey,
    MachineIdSubjectKind Kind,
    Guid HostId,
    Guid? GuestUuid,
    string Name,
    MachineIdSource Source,
    MachineId MachineId,
    string? Note = null,
    bool Flagged = false);

/// <summary>
/// Every machine ID VirtWeb has seen, kept in PostgreSQL (one row per subject, source and id, so the history stays) and
/// mirrored in <see cref="Entries"/>: each subject's latest id per source, which the Machine IDs page follows live.
/// </summary>
public sealed class MachineIdRegistry(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    LiveStateStore store,
    TimeProvider timeProvider,
    ILogger<MachineIdRegistry> logger)
{
    private readonly SemaphoreSlim _writes = new(1, 1);

    public LiveCollection<MachineIdEntry> Entries { get; } = new(e => e.Key, LiveStateStore.BatchWindow, timeProvider);

    /// <summary>Fills <see cref="Entries"/> from the database: each subject's newest row per source.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.MachineIdObservations.AsNoTracking().ToListAsync(cancellationToken);
        var version = store.NextVersion();
        var latestRows = rows.GroupBy(r => (r.SubjectKey, r.Source)).Select(g => g.MaxBy(r => r.LastSeen)!).ToList();
        var agentSeen = latestRows.Where(r => r.Source == nameof(MachineIdSource.GuestAgent)).ToDictionary(r => r.SubjectKey, r => r.LastSeen, StringComparer.Ordinal);
        foreach (var latest in latestRows)
        {
            // A D-Bus copy that disagreed once but was not seen at the last agent read agreed then (see Forget).
            if (latest.Source == nameof(MachineIdSource.GuestAgentDbus) && agentSeen.TryGetValue(latest.SubjectKey, out var agentAt) && agentAt > latest.LastSeen)
            {
                continue;
            }

            if (ToEntry(latest) is { } entry)
            {
                Entries.Upsert(entry, version);
            }
        }

        logger.LogInformation("Loaded {Count} machine ID observations.", rows.Count);
    }

    /// <summary>Stores <paramref name="observation"/> (a known id moves its last-seen time) and publishes it to the page.</summary>
    public async Task<MachineIdEntry> RecordAsync(MachineIdObservation observation, CancellationToken cancellationToken = default)
    {
        var version = store.NextVersion();
        var now = timeProvider.GetUtcNow();
        var source = observation.Source.ToString();
        var id = observation.MachineId.Value;

        // One writer at a time: two reads of one guest must not both insert the same (subject, source, id) row.
        await _writes.WaitAsync(cancellationToken);
        MachineIdObservationRecord row;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            row = await db.MachineIdObservations.SingleOrDefaultAsync(
                r => r.SubjectKey == observation.SubjectKey && r.Source == source && r.MachineId == id, cancellationToken)
                ?? db.MachineIdObservations.Add(new MachineIdObservationRecord
                {
                    SubjectKey = observation.SubjectKey,
                    SubjectKind = observation.Kind.ToString(),
                    Name = observation.Name,
                    Source = source,
                    MachineId = id,
                    FirstSeen = now,
                }).Entity;
            row.HostId = observation.HostId;
            row.GuestUuid = observation.GuestUuid;
            row.Name = AuditLogClean(observation.Name, 256);
            row.LastSeen = now;
            // A plain re-read of the same id (no note, no flag) keeps what an earlier sighting said about it: a revert
            // that brought back an old id stays flagged when the collector next reads that id through the agent.
            if (observation.Note is not null || observation.Flagged || row.Id == 0)
            {
                row.Note = observation.Note is null ? null : AuditLogClean(observation.Note, 1024);
                row.Flagged = observation.Flagged;
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            _writes.Release();
        }

        var entry = ToEntry(row)!;
        Entries.Upsert(entry, version);
        return entry;
    }

    /// <summary>Takes a subject's entry for one source off the page (its rows stay in the history).</summary>
    public void Forget(string subjectKey, MachineIdSource source) =>
        Entries.Remove(MachineIdEntry.KeyOf(subjectKey, source), store.NextVersion());

    /// <summary>Every id one subject has had from one source, newest first.</summary>
    public async Task<IReadOnlyList<MachineIdObservationRecord>> HistoryAsync(string subjectKey, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.MachineIdObservations.AsNoTracking()
            .Where(r => r.SubjectKey == subjectKey)
            .OrderByDescending(r => r.LastSeen)
            .ToListAsync(cancellationToken);
    }

    /// <summary>The id a guest runs with as far as VirtWeb knows: its agent-read one, else its SMBIOS credential.</summary>
    public MachineId? KnownId(string subjectKey)
    {
        var entry = Entries.Find(MachineIdEntry.KeyOf(subjectKey, MachineIdSource.GuestAgent))
            ?? Entries.Find(MachineIdEntry.KeyOf(subjectKey, MachineIdSource.SmbiosCredential));
        return entry is not null && MachineId.TryParse(entry.MachineId, out var id) ? id : null;
    }

    /// <summary>The duplicate groups now, as the Machine IDs page computes them (deleted guests left out).</summary>
    public IReadOnlyList<MachineIdDuplicate> Duplicates()
    {
        var hosts = store.Hosts.Current();
        return MachineIdSubjects.FindDuplicates(Entries.Current(), e => IsGone(e, hosts, (hostId, uuid) => store.Guests.Find(VirtWeb.Guests.GuestState.KeyOf(hostId, uuid)) is not null));
    }

    /// <summary>
    /// Whether a guest subject was deleted: a host with that libvirt identity is connected and has no such guest. Stopped
    /// guests and guests of disconnected hosts are not gone: they come back with the id they had.
    /// </summary>
    /// <summary>Who may see an entry: a guest's whoever may see the guest, a host's whoever may see anything on it.</summary>
    public static bool MaySee(AccessControl access, ClaimsPrincipal user, MachineIdEntry entry) => entry.GuestUuid is { } uuid
        ? access.Allows(user, AccessPaths.Guest(entry.HostId, uuid), Permission.View)
        : access.MaySeeAnythingUnder(user, AccessPaths.Host(entry.HostId));

    public static bool IsGone(MachineIdEntry entry, IReadOnlyCollection<HostState> hosts, Func<Guid, Guid, bool> guestExists)
    {
        if (entry.Kind != MachineIdSubjectKind.Guest || entry.GuestUuid is not { } guest)
        {
            return false;
        }

        var hostIdentity = entry.SubjectKey[..entry.SubjectKey.LastIndexOf('/')];
        var sameMachine = hosts.Where(h => h.Connection == HostConnectionState.Connected && h.Facts is not null
            && MachineIdSubjects.HostIdentity(h.HostId, h.Facts) == hostIdentity).ToList();
        return sameMachine.Count > 0 && !sameMachine.Any(h => guestExists(h.HostId, guest));
    }

    private static string AuditLogClean(string value, int length) => VirtWeb.Access.AuditLog.Clean(value, length);

    private static MachineIdEntry? ToEntry(MachineIdObservationRecord row) =>
        Enum.TryParse<MachineIdSource>(row.Source, out var source) && Enum.TryParse<MachineIdSubjectKind>(row.SubjectKind, out var kind)
            ? new MachineIdEntry(row.SubjectKey, kind, row.HostId, row.GuestUuid, row.Name, source, row.MachineId.Trim(), row.FirstSeen, row.LastSeen, row.Note, row.Flagged)
            : null;
}

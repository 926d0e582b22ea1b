namespace VirtWeb.MachineIds;

/// <summary>
/// Fills the registry by itself: a host's libvirt host UUID (and, for a local URI, this machine's
/// <c>/etc/machine-id</c>) each time it connects, and a guest's ids each time its agent connects on a running guest
/// (seen as <see cref="GuestState.HasAgent"/> turning true), which is also when an identity-safe clone's first boot is
/// handled. Reads run a few at a time, never on the libvirt event thread.
/// </summary>
public sealed class MachineIdCollector(
    LiveStateStore store,
    MachineIdRegistry registry,
    IServiceProvider services,
    TimeProvider timeProvider,
    ILogger<MachineIdCollector> logger) : BackgroundService
{
    /// <summary>Delays before reading again after a failed read (an agent that just connected may not answer yet).</summary>
    public static readonly TimeSpan[] Retries = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)];

    /// <summary>This machine's id file, read for hosts reached through a local URI.</summary>
    public const string LocalMachineIdPath = "/etc/machine-id";

    private readonly GuestReadQueue _requests = new(parallelism: 2);

    /// <summary>Asks for one guest's ids soon (for the page's "Read again").</summary>
    public void Refresh(string guestKey) => _requests.Add(guestKey);

    /// <summary>Whether a URI names a libvirt on this machine (no host part) other than the in-process test driver.</summary>
    public static bool IsLocal(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && string.IsNullOrEmpty(parsed.Host) && !parsed.Scheme.StartsWith("test", StringComparison.OrdinalIgnoreCase);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await registry.LoadAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not load the machine ID registry; new observations are still recorded.");
        }

        var hosts = WatchHostsAsync(stoppingToken);
        var guests = WatchGuestsAsync(stoppingToken);
        await _requests.WorkAsync(ReadGuestAsync, stoppingToken);
        await Task.WhenAll(hosts, guests);
    }

    private async Task WatchHostsAsync(CancellationToken stoppingToken)
    {
        // One recording per connection: a host's state changes (renames, reconnects), its identity does not.
        var recorded = new Dictionary<Guid, DateTimeOffset>();
        var subscription = store.Hosts.Subscribe(cancellationToken: stoppingToken);
        try
        {
            foreach (var host in subscription.Snapshot)
            {
                await RecordHostAsync(host, recorded, stoppingToken);
            }

            await foreach (var batch in subscription.Changes.WithCancellation(stoppingToken))
            {
                foreach (var change in batch)
                {
                    if (change.Item is { } host)
                    {
                        await RecordHostAsync(host, recorded, stoppingToken);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RecordHostAsync(HostState host, Dictionary<Guid, DateTimeOffset> recorded, CancellationToken cancellationToken)
    {
        if (host is not { Connection: HostConnectionState.Connected, Facts: { } facts } || recorded.GetValueOrDefault(host.HostId) == host.Since)
        {
            return;
        }

        recorded[host.HostId] = host.Since;
        var identity = MachineIdSubjects.HostIdentity(host.HostId, facts);
        try
        {
            MachineId? local = null;
            if (IsLocal(host.Uri) && File.Exists(LocalMachineIdPath))
            {
                var text = (await File.ReadAllTextAsync(LocalMachineIdPath, cancellationToken)).TrimEnd('\n');
                if (MachineId.TryParse(text, out var parsed))
                {
                    local = parsed;
                    await registry.RecordAsync(new MachineIdObservation(MachineIdSubjects.Host(identity), MachineIdSubjectKind.Host, host.HostId, null, host.Name,
                        MachineIdSource.HostFile, parsed), cancellationToken);
                }
                else
                {
                    logger.LogWarning("{Path} of this machine is not a machine ID: {Problem}", LocalMachineIdPath, MachineId.Problem(text));
                }
            }

            if (Guid.TryParse(facts.HostUuid, out var uuid) && MachineId.FromUuid(uuid) is { } fromUuid)
            {
                var note = local is { } file && file != fromUuid
                    ? "differs from this host's /etc/machine-id: libvirtd takes its UUID from SMBIOS or its host_uuid setting here, not host_uuid_source = \"machine-id\""
                    : null;
                await registry.RecordAsync(new MachineIdObservation(MachineIdSubjects.Host(identity), MachineIdSubjectKind.Host, host.HostId, null, host.Name,
                    MachineIdSource.LibvirtHostUuid, fromUuid, note), cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.EntityFrameworkCore.DbUpdateException or Npgsql.NpgsqlException)
        {
            recorded.Remove(host.HostId);
            logger.LogWarning("Recording {Host}'s machine ID failed: {Message}", host.Name, e.Message);
        }
    }

    private static bool Askable(GuestState guest) => guest is { HostConnected: true, HasAgent: true, State: DomainState.Running };

    // Each time a guest's agent connects (after a stop or reboot too), its ids are read again.
    private Task WatchGuestsAsync(CancellationToken stoppingToken) => GuestAgentWatch.WatchAsync(store, Askable, Refresh, stoppingToken);

    private async Task ReadGuestAsync(string key, int attempt, CancellationToken cancellationToken)
    {
        if (store.Guests.Find(key) is not { } guest || !Askable(guest))
        {
            return;
        }

        try
        {
            await services.GetRequiredService<MachineIdService>().ReadGuestAsync(guest.HostId, guest.Uuid, cancellationToken);
        }
        catch (Exception e) when (e is MachineIdAgentException or LibvirtException or HostUnavailableException or ObjectDisposedException
            or System.Text.Json.JsonException or Microsoft.EntityFrameworkCore.DbUpdateException or Npgsql.NpgsqlException)
        {
            logger.LogInformation("Reading {Guest}'s machine ID failed (attempt {Attempt}): {Message}", guest.Name, attempt + 1, e.Message);
            if (attempt < Retries.Length)
            {
                _ = RetryAsync(key, attempt, cancellationToken);
            }
        }
    }

    private async Task RetryAsync(string key, int attempt, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Retries[attempt], timeProvider, cancellationToken);
            _requests.Add(key, attempt + 1);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

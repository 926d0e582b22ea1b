using System.Collections.Concurrent;
using VirtWeb.MachineIds;

namespace VirtWeb.Templates;

/// <summary>
/// Removes a deployed guest's cloud-init seed once its first boot is done: while the guest runs with its agent connected,
/// the agent is asked for <c>/var/lib/cloud/instances/&lt;instance-id&gt;/boot-finished</c> (cloud-init writes it at the
/// end of the first boot of that instance) once an identity-safe clone's machine ID is settled; then, under the guest's one-action lock, the CD-ROM is emptied live, removed
/// from the persistent definition with the seed's metadata note, and the seed volume deleted (audited as
/// <c>template.seed.remove</c>). The note in the guest's metadata lets a restarted VirtWeb find seeds still pending.
/// </summary>
public sealed class SeedCleanup(
    LiveStateStore store,
    IHostConnections hostConnections,
    GuestActionLock actions,
    DefinitionPolicy definitions,
    MachineIdService machineIds,
    TimeProvider time,
    ILogger<SeedCleanup> logger) : BackgroundService
{
    public const string RemoveAction = "template.seed.remove";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, (Guid HostId, TemplateMarks.PendingSeed Seed)> _pending = new();
    private readonly ConcurrentDictionary<string, bool> _scanned = new(StringComparer.Ordinal);

    /// <summary>Raised with the guest's UUID when its seed was removed.</summary>
    public event Action<Guid>? Removed;

    public void Watch(Guid hostId, Guid uuid, TemplateMarks.PendingSeed seed) => _pending[uuid] = (hostId, seed);

    public void Forget(Guid uuid) => _pending.TryRemove(uuid, out _);

    public bool IsPending(Guid uuid) => _pending.ContainsKey(uuid);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await TickAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        foreach (var guest in store.Guests.Current(g => g.HostConnected && g.State == DomainState.Running && g.HasAgent))
        {
            try
            {
                if (_scanned.TryAdd(guest.Key, true) && !_pending.ContainsKey(guest.Uuid))
                {
                    // Seeds left by an earlier run of VirtWeb: the note in the guest's metadata.
                    await Task.Run(() =>
                    {
                        using var domain = hostConnections.GetConnection(guest.HostId).GetDomainByUuid(guest.Uuid);
                        if (TemplateMarks.Seed(DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive))) is { } seed)
                        {
                            Watch(guest.HostId, guest.Uuid, seed);
                        }
                    }, cancellationToken);
                }

                // The identity-safe clone's first boot sets its machine ID through the agent under the guest's lock and
                // reboots it; taking the lock meanwhile would make that step skip. The seed waits until the id is settled.
                if (_pending.TryGetValue(guest.Uuid, out var pending)
                    && await machineIds.CloneStateAsync(guest.Uuid, cancellationToken) is not { State: CloneState.Pending }
                    && await FirstBootDoneAsync(guest, pending.Seed, cancellationToken))
                {
                    await RemoveAsync(guest, pending.Seed, cancellationToken);
                }
            }
            catch (Exception e) when (e is LibvirtException or HostUnavailableException or MachineIdAgentException or GuestActionException)
            {
                logger.LogDebug("Seed check of {Guest} failed, tried again later: {Message}", guest.Name, e.Message);
            }
        }
    }

    private async Task<bool> FirstBootDoneAsync(GuestState guest, TemplateMarks.PendingSeed seed, CancellationToken cancellationToken)
    {
        using var domain = await Task.Run(() => hostConnections.GetConnection(guest.HostId).GetDomainByUuid(guest.Uuid), cancellationToken);
        var agent = new MachineIdAgent(domain, guest.Name, timeoutSeconds: 5);
        return await agent.ReadTextAsync($"/var/lib/cloud/instances/{seed.InstanceId}/boot-finished", cancellationToken) is not null;
    }

    private async Task RemoveAsync(GuestState guest, TemplateMarks.PendingSeed seed, CancellationToken cancellationToken)
    {
        var result = await actions.RunAsync(MachineIdService.SystemCaller, guest.HostId, guest.Uuid, "Remove the cloud-init seed", RemoveAction, (host, domain) =>
        {
            var ejected = "ejected, ";
            if (domain.IsActive)
            {
                try
                {
                    // Forced: a guest that still holds the tray locked would otherwise keep the seed until it lets go.
                    domain.UpdateDevice(DeployPlan.EjectXml(seed), DomainDeviceModifyFlags.Live | DomainDeviceModifyFlags.Force);
                }
                catch (LibvirtException e)
                {
                    ejected = $"not ejected from the running guest ({GuestActionLock.Plain(e)} the drive empties at its next boot), ";
                }
            }

            var xml = domain.GetXml(DomainXmlFlags.Inactive);
            var without = DeployPlan.WithoutSeed(xml, seed);
            definitions.Require(host.Connection, without, xml);
            using (host.Connection.DefineDomain(without, DomainDefineFlags.Validate))
            {
            }

            using var pool = host.Connection.GetStoragePoolByName(seed.Pool);
            if (GuestLookups.VolumeExists(pool, seed.Volume))
            {
                using var volume = pool.GetVolumeByName(seed.Volume);
                volume.Delete();
            }

            return $"{domain.Name}'s first boot is done (instance {seed.InstanceId}); its cloud-init seed {seed.Volume} was {ejected}detached and deleted.";
        }, cancellationToken);
        if (result.Done)
        {
            Forget(guest.Uuid);
            Removed?.Invoke(guest.Uuid);
        }
    }
}

namespace VirtWeb.Templates;

/// <summary>
/// Deploys guests from a template (Operators and Administrators who may create guests on the host): everything the
/// request names is checked first (count, names, sizes against the OS's minimum, user-data, that the template exists and
/// is one, that no name is taken), then each guest is made in turn through the identity-safe clone path
/// (<see cref="MachineIds.MachineIdService.CloneAsync"/>: new UUID, MACs and machine ID) with its own seed, and started.
/// A guest that fails is undone alone (seed, volumes, definition) and named with the reason; the finished ones stay.
/// </summary>
public sealed class TemplateDeployService(
    IHostConnections hostConnections,
    LiveStateStore store,
    AccessControl access,
    AuditLog audit,
    MachineIds.MachineIdService machineIds,
    GuestService guests,
    SeedCleanup seeds,
    OsPresets presets,
    ILogger<TemplateDeployService> logger)
{
    public const string DeployAction = "template.deploy";

    /// <summary>
    /// Deploys and reports each guest's step to <paramref name="progress"/> as it goes; returns the last status of
    /// every guest. Input problems throw <see cref="DeployInputException"/> before anything is made.
    /// </summary>
    public async Task<IReadOnlyList<DeployGuestStatus>> DeployAsync(
        ClaimsPrincipal caller, Guid hostId, Guid templateUuid, DeployRequest request, IProgress<DeployGuestStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, DeployAction, AccessPaths.Guest(hostId, templateUuid), "deploy from a template");
        await access.RequireAsync(caller, Permission.ManageGuests, DeployAction, AccessPaths.Guests(hostId), "create a guest on this host");
        var target = AccessPaths.Guest(hostId, templateUuid);
        Prepared prepared;
        try
        {
            prepared = await PrepareAsync(hostId, templateUuid, request, cancellationToken);
        }
        catch (Exception e) when (e is DeployInputException or GuestActionException)
        {
            await audit.WriteAsync(caller, DeployAction, target, AuditOutcome.Failure, e.Message);
            throw new DeployInputException(e.Message);
        }

        var statuses = prepared.Names.Select((n, i) => new DeployGuestStatus(i + 1, n, DeployStep.Waiting, "waiting")).ToArray();
        foreach (var status in statuses)
        {
            progress?.Report(status);
        }

        for (var i = 0; i < statuses.Length; i++)
        {
            void Report(DeployStep step, string message, Guid? uuid = null)
            {
                statuses[i] = statuses[i] with { Step = step, Message = message, Uuid = uuid ?? statuses[i].Uuid };
                progress?.Report(statuses[i]);
            }

            await DeployOneAsync(caller, hostId, templateUuid, request, prepared, i, Report, cancellationToken);
        }

        var done = statuses.Count(s => s.Step == DeployStep.Done);
        var summary = $"Deployed {done} of {statuses.Length} guest(s) from {prepared.TemplateName} ({(request.Disks == GuestCloneDisks.Overlay ? "linked" : "full copies")})" +
            string.Concat(statuses.Where(s => s.Step == DeployStep.Failed).Select(s => $"; {s.Name} failed: {s.Message}"));
        await audit.WriteAsync(caller, DeployAction, target, done == statuses.Length ? AuditOutcome.Success : AuditOutcome.Failure, summary);
        return statuses;
    }

    /// <summary>What the guests will receive, without making anything: the preview (password masked).</summary>
    public static async Task<CloudInitFiles> PreviewAsync(DeployRequest request, CancellationToken cancellationToken = default)
    {
        var names = DeployPlan.Names(request);
        var input = request.CloudInit ?? new CloudInitInput();
        var own = CloudInitSeed.Validate(input);
        var hash = input.Password is { Length: > 0 } password ? await SeedTools.HashPasswordAsync(password, cancellationToken) : null;
        var files = CloudInitSeed.Build(input, own, CloudInitSeed.HostNameFor(input, names[0], 1, names.Count), "(its own instance-id)", hash);
        return CloudInitSeed.Masked(files, hash);
    }

    private sealed record Prepared(string TemplateName, IReadOnlyList<string> Names, IReadOnlyList<string> HostNames, YamlDotNet.RepresentationModel.YamlMappingNode? Own, string? SeedPool, string? SeedTarget);

    private async Task<Prepared> PrepareAsync(Guid hostId, Guid templateUuid, DeployRequest request, CancellationToken cancellationToken)
    {
        var names = DeployPlan.Names(request);
        var cloudInit = request.CloudInit;
        var own = cloudInit is null ? null : CloudInitSeed.Validate(cloudInit);
        var hostNames = cloudInit is null ? [] : names.Select((n, i) => CloudInitSeed.HostNameFor(cloudInit, n, i + 1, names.Count)).ToList();
        var connection = hostConnections.GuestConnection(hostId);
        var hostName = store.Hosts.Find(hostId.ToString())?.Name ?? "the host";
        return await Task.Run(() =>
        {
            using var template = GuestLookups.Domain(connection, templateUuid);
            var definition = DomainDefinition.Parse(template.GetXml(DomainXmlFlags.Inactive));
            if (!TemplateMarks.IsTemplate(definition))
            {
                throw new DeployInputException($"{definition.Name} is not a template; mark it as one first (it must stay shut off while guests use its disks).");
            }

            var preset = presets.ForDomain(definition);
            DeployPlan.CheckSize(request, preset?.MinimumMemoryMiB, preset?.Name);
            foreach (var name in names)
            {
                if (GuestLookups.DomainExists(connection, name))
                {
                    throw new DeployInputException($"A guest named {name} already exists on {hostName}; choose another name (nothing was deployed).");
                }
            }

            if (request.Network is { Length: > 0 } network)
            {
                try
                {
                    connection.GetNetworkByName(network).Dispose();
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoNetwork)
                {
                    throw new DeployInputException($"{hostName} has no network named {network}; pick one of its networks.");
                }
            }

            string? seedPool = null, seedTarget = null;
            if (cloudInit is not null)
            {
                var disk = definition.Disks.FirstOrDefault(d => d.Device is "disk" or "lun");
                using var volume = disk is null ? null : GuestLookups.FindVolume(connection, disk);
                using var pool = volume?.GetPool() ?? throw new DeployInputException($"{definition.Name} has no disk in a storage pool to put the cloud-init seed beside.");
                seedPool = pool.Name;
                seedTarget = DeployPlan.SeedTarget(definition);
                foreach (var name in names)
                {
                    if (GuestLookups.VolumeExists(pool, SeedVolumeName(name)))
                    {
                        throw new DeployInputException($"The pool {pool.Name} already has a volume named {SeedVolumeName(name)}; remove it or choose another name.");
                    }
                }
            }

            return new Prepared(definition.Name, names, hostNames, own, seedPool, seedTarget);
        }, cancellationToken);
    }

    public static string SeedVolumeName(string guestName) => $"{guestName}-cidata.iso";

    private async Task DeployOneAsync(
        ClaimsPrincipal caller, Guid hostId, Guid templateUuid, DeployRequest request, Prepared prepared, int index, Action<DeployStep, string, Guid?> report,
        CancellationToken cancellationToken)
    {
        var name = prepared.Names[index];
        var connection = hostConnections.GuestConnection(hostId);
        TemplateMarks.PendingSeed? seed = null;
        string? seedPath = null;
        Guid? uuid = null;
        try
        {
            if (request.CloudInit is { } input)
            {
                report(DeployStep.Seed, "building the cloud-init seed", null);
                var hash = input.Password is { Length: > 0 } password ? await SeedTools.HashPasswordAsync(password, cancellationToken) : null;
                var instanceId = $"iid-{Guid.NewGuid():N}";
                var files = CloudInitSeed.Build(input, prepared.Own!, prepared.HostNames[index], instanceId, hash);
                var iso = await SeedTools.BuildIsoAsync(files, cancellationToken);
                seed = new TemplateMarks.PendingSeed(prepared.SeedPool!, SeedVolumeName(name), instanceId, prepared.SeedTarget!);
                seedPath = await Task.Run(async () =>
                {
                    using var pool = connection.GetStoragePoolByName(seed.Pool);
                    using var volume = pool.CreateVolume(StorageVolumeDefinition.BuildXml(seed.Volume, (ulong)iso.Length, "raw"));
                    try
                    {
                        await volume.UploadAsync(new MemoryStream(iso), 0, (ulong)iso.Length, cancellationToken);
                    }
                    catch
                    {
                        volume.Delete();
                        throw;
                    }

                    return volume.Path;
                }, cancellationToken);
            }

            report(DeployStep.Clone, request.Disks == GuestCloneDisks.Overlay ? "making a linked clone" : "copying the template's disks", null);
            var guest = await machineIds.CloneAsync(caller, hostId, templateUuid, name, request.Disks, newMachineId: true, cancellationToken,
                xml => DeployPlan.Adjust(xml, request, seed, seedPath));
            uuid = guest.Uuid;
            if (seed is not null)
            {
                seeds.Watch(hostId, guest.Uuid, seed);
            }

            if (request.Start)
            {
                report(DeployStep.Start, "starting", uuid);
                var started = await guests.RunAsync(caller, hostId, guest.Uuid, GuestAction.Start, cancellationToken);
                if (!started.Done)
                {
                    throw new GuestActionException(started.Message);
                }
            }

            report(DeployStep.Done, request.Start ? "running" + (seed is null ? "" : "; the seed goes once the first boot is done") : "defined, shut off", uuid);
        }
        // Whatever stops this guest (a refusal, libvirt, the seed tool, the database) undoes it alone and is named; the guests
        // before it stay and the ones after it are still tried. Only a cancellation ends the whole deploy.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (e is not (GuestActionException or LibvirtException or DeployInputException or InvalidOperationException or HostUnavailableException))
            {
                logger.LogWarning(e, "Deploying {Name} failed unexpectedly", name);
            }

            var reason = e is LibvirtException l ? GuestActionLock.Plain(l) : e.Message;
            await Task.Run(() => Undo(connection, uuid, seed), CancellationToken.None);
            report(DeployStep.Failed, reason, null);
        }
    }

    // The clone path already removed its volumes when it failed; what exists of this guest past that goes here.
    private void Undo(LibvirtConnection connection, Guid? uuid, TemplateMarks.PendingSeed? seed)
    {
        try
        {
            if (uuid is { } made)
            {
                seeds.Forget(made);
                using var domain = connection.GetDomainByUuid(made);
                var definition = DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive));
                if (domain.IsActive)
                {
                    domain.Destroy();
                }

                domain.Undefine(DomainUndefineFlags.Nvram);
                // Only the volumes made for this guest (GuestCloning's names); a shared or read-only disk is the template's.
                foreach (var disk in definition.Disks.Where(d => d.Device is "disk" or "lun" && !d.ReadOnly))
                {
                    using var volume = GuestLookups.FindVolume(connection, disk);
                    if (volume is not null && (volume.Name.StartsWith(definition.Name + ".", StringComparison.Ordinal) || volume.Name.StartsWith(definition.Name + "-", StringComparison.Ordinal)))
                    {
                        volume.Delete();
                    }
                }
            }

            if (seed is not null)
            {
                using var pool = connection.GetStoragePoolByName(seed.Pool);
                if (GuestLookups.VolumeExists(pool, seed.Volume))
                {
                    using var volume = pool.GetVolumeByName(seed.Volume);
                    volume.Delete();
                }
            }
        }
        catch (LibvirtException e)
        {
            logger.LogWarning("Could not undo a failed deploy completely: {Message}", e.Message);
        }
    }
}

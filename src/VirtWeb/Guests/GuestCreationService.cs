namespace VirtWeb.Guests;

/// <summary>
/// Creates guests from the create form (<see cref="GuestCreateInput"/>; the XML is <see cref="GuestCreation"/>'s).
/// Audited under <c>/hosts/{host}/guests/{uuid}</c>, or <c>/hosts/{host}/guests</c> when refused before the guest exists.
/// </summary>
public sealed class GuestCreationService(
    IHostConnections hostConnections,
    LiveStateStore store,
    GuestActionLock actions,
    AuditLog audit,
    AccessControl access,
    DefinitionPolicy definitions,
    ILogger<GuestCreationService> logger,
    VirtWeb.Templates.OsPresets presets)
{
    /// <summary>
    /// Creates a guest (Operators and Administrators). Everything is checked before anything is created; a volume made
    /// for the guest is deleted again when libvirt refuses the definition, so nothing is left half-way.
    /// </summary>
    public async Task<GuestState> CreateAsync(ClaimsPrincipal caller, GuestCreateInput input, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageGuests, "guest.create", AccessPaths.Guests(input.HostId), "create a guest");
        GuestState created;
        try
        {
            created = await Create(caller, input, cancellationToken);
        }
        catch (GuestActionException e)
        {
            await audit.WriteAsync(caller, "guest.create", AccessPaths.Guests(input.HostId), e.Outcome, $"{input.Name}: {e.Message}");
            throw;
        }

        await audit.WriteAsync(caller, "guest.create", AccessPaths.Guest(created.HostId, created.Uuid), AuditOutcome.Success, created.Name);
        return created;
    }

    private static string Choose(string? chosen, string? preset, IReadOnlyList<string> offered, string what)
    {
        var value = chosen?.Trim() is { Length: > 0 } c ? c : preset ?? offered[0];
        return offered.Contains(value)
            ? value
            : throw new GuestActionException($"'{value}' is not a {what} VirtWeb offers; choose one of {string.Join(", ", offered)}.");
    }

    private async Task<GuestState> Create(ClaimsPrincipal caller, GuestCreateInput input, CancellationToken cancellationToken)
    {
        var name = GuestCreation.ValidateName(input.Name);
        var facts = store.Hosts.Find(input.HostId.ToString())?.Facts;
        if (input.Vcpus < 1 || (facts is not null && input.Vcpus > facts.CpuCount))
        {
            throw new GuestActionException($"A guest needs between 1 and {facts?.CpuCount ?? 1} vCPUs on this host; {input.Vcpus} is outside that.");
        }

        if (input.MemoryMiB < GuestCreation.MinMemoryMiB)
        {
            throw new GuestActionException($"Memory must be at least {GuestCreation.MinMemoryMiB} MiB; {input.MemoryMiB} MiB cannot boot anything.");
        }

        VirtWeb.Templates.OsPreset? preset = null;
        if (input.OsId is { Length: > 0 } osId)
        {
            preset = presets.Find(osId) ?? throw new GuestActionException($"osinfo does not know the OS '{osId}'; pick the OS from the list (or none).");
            if (preset.MinimumMemoryMiB is { } minimum && (ulong)input.MemoryMiB < minimum)
            {
                throw new GuestActionException($"{input.MemoryMiB} MiB is below {preset.Name}'s minimum of {minimum} MiB (osinfo); give the guest at least {minimum} MiB.");
            }

            if (preset.MinimumVcpus is { } vcpus && input.Vcpus < vcpus)
            {
                throw new GuestActionException($"{preset.Name} needs at least {vcpus} vCPUs (osinfo); {input.Vcpus} is too few.");
            }
        }

        // The OS's devices unless the form chose others: an OS without virtio drivers would not find a virtio disk.
        input = input with
        {
            DiskBus = Choose(input.DiskBus, preset?.DiskBus, GuestCreation.DiskBuses, "disk bus"),
            NicModel = Choose(input.NicModel, preset?.NicModel, GuestCreation.NicModels, "NIC model"),
        };

        if (facts is not null && (long)input.MemoryMiB * 1024 > facts.MemoryKiB)
        {
            throw new GuestActionException($"{input.MemoryMiB} MiB is more memory than the host has ({facts.MemoryKiB / 1024} MiB).");
        }

        if (input.Disk is GuestDiskChoice.NewQcow2 or GuestDiskChoice.NewRaw && (input.DiskSizeGiB < 1 || string.IsNullOrWhiteSpace(input.Pool)))
        {
            throw new GuestActionException("Choose a storage pool and a disk size of at least 1 GiB for the new disk.");
        }

        if (input.Disk == GuestDiskChoice.ExistingVolume && string.IsNullOrWhiteSpace(input.ExistingVolumePath))
        {
            throw new GuestActionException("Choose the existing volume the guest boots from.");
        }

        if (input.Boot == GuestBootChoice.Iso && string.IsNullOrWhiteSpace(input.IsoPath))
        {
            throw new GuestActionException("Choose the ISO image to boot from.");
        }

        if (input.Boot == GuestBootChoice.Kernel && string.IsNullOrWhiteSpace(input.KernelPath))
        {
            throw new GuestActionException("Give the path of the kernel to boot.");
        }

        if (input.Network != GuestNetworkChoice.None && string.IsNullOrWhiteSpace(input.NetworkSource))
        {
            throw new GuestActionException(input.Network == GuestNetworkChoice.Bridge ? "Name the bridge (for example br0)." : "Name the libvirt network (for example default).");
        }

        var connection = hostConnections.GuestConnection(input.HostId);
        var hostName = store.Hosts.Find(input.HostId.ToString())?.Name ?? "the host";
        var uuid = await Task.Run(() =>
        {
            if (GuestLookups.DomainExists(connection, name))
            {
                throw new GuestActionException($"A guest named {name} already exists on {hostName}; choose another name.");
            }

            LibvirtStorageVolume? created = null;
            try
            {
                (string Path, string Format)? disk = null;
                try
                {
                    var type = facts?.KvmUsable == true ? "kvm" : connection.HypervisorType.Equals("QEMU", StringComparison.OrdinalIgnoreCase) ? "qemu" : connection.HypervisorType.ToLowerInvariant();
                    string Xml((string Path, string Format)? disk) =>
                        GuestCreation.DomainXml(type, facts?.CpuArchitecture ?? "x86_64", name, input.Vcpus, input.MemoryMiB, disk, input);

                    definitions.RequireCreate(connection, input, Xml);

                    switch (input.Disk)
                    {
                        case GuestDiskChoice.NewQcow2 or GuestDiskChoice.NewRaw:
                            var format = input.Disk == GuestDiskChoice.NewQcow2 ? "qcow2" : "raw";
                            using (var pool = connection.GetStoragePoolByName(input.Pool!.Trim()))
                            {
                                created = pool.CreateVolume(StorageVolumeDefinition.BuildXml($"{name}.{format}", (ulong)input.DiskSizeGiB << 30, format));
                            }

                            disk = (created.Path, format);
                            break;
                        case GuestDiskChoice.ExistingVolume:
                            using (var volume = connection.GetStorageVolumeByPath(input.ExistingVolumePath?.Trim() ?? ""))
                            {
                                disk = (volume.Path, volume.GetDefinition().TargetFormat ?? "raw");
                            }

                            break;
                    }

                    var xml = Xml(disk);
                    definitions.Require(connection, xml);
                    using var domain = connection.DefineDomain(xml, DomainDefineFlags.Validate);
                    created?.Dispose();
                    created = null;
                    return domain.Uuid;
                }
                catch (LibvirtException e)
                {
                    throw new GuestActionException($"Could not create {name}: {actions.ForUser(e)}", e);
                }
            }
            finally
            {
                if (created is not null)
                {
                    // The definition failed: the disk made for it goes too.
                    try
                    {
                        created.Delete();
                    }
                    catch (LibvirtException e)
                    {
                        logger.LogWarning("Could not delete {Path} after a failed create: {Message}", created.Path, e.Message);
                    }

                    created.Dispose();
                }
            }
        }, cancellationToken);

        return await actions.ReadNewAsync(new WatchedHost(input.HostId, hostName, connection), uuid, $"created by {caller.Identity?.Name ?? "someone"}")
            ?? throw new GuestActionException($"{name} was created but could not be read back; it shows once the host reports it.");
    }
}

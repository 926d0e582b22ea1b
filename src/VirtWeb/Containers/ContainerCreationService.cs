using Microsoft.Extensions.Options;

namespace VirtWeb.Containers;

/// <summary>
/// Creates and starts libvirt LXC containers (<see cref="ContainerCreateInput"/>). Administrators only: a container runs
/// a program of the machine libvirtd runs on, as root inside the container, which is more than the guest rights an
/// Operator has. Checked before anything is defined; a container that does not start, or whose command exits at
/// once, is undefined again, so nothing is left half-made. Audited like guest creation.
/// </summary>
public sealed class ContainerCreationService(
    IHostConnections hostConnections,
    LiveStateStore store,
    GuestActionLock actions,
    AuditLog audit,
    AccessControl access,
    IOptions<ContainerOptions> options,
    ILogger<ContainerCreationService> logger)
{
    /// <summary>How long a fresh container must keep running to count as started: a command that exits at once ends sooner.</summary>
    private static readonly TimeSpan StartWatch = TimeSpan.FromSeconds(2);

    public async Task<GuestState> CreateAsync(ClaimsPrincipal caller, ContainerCreateInput input, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageHosts, "container.create", AccessPaths.Guests(input.HostId), "create a container");
        GuestState created;
        try
        {
            created = await Create(caller, input, cancellationToken);
        }
        catch (GuestActionException e)
        {
            await audit.WriteAsync(caller, "container.create", AccessPaths.Guests(input.HostId), e.Outcome, $"{input.Name}: {e.Message}");
            throw;
        }

        await audit.WriteAsync(caller, "container.create", AccessPaths.Guest(created.HostId, created.Uuid), AuditOutcome.Success, created.Name);
        return created;
    }

    private async Task<GuestState> Create(ClaimsPrincipal caller, ContainerCreateInput input, CancellationToken cancellationToken)
    {
        var name = GuestCreation.ValidateName(input.Name);
        if (input.MemoryMiB < ContainerDefinition.MinMemoryMiB)
        {
            throw new GuestActionException($"Give the container a memory limit of at least {ContainerDefinition.MinMemoryMiB} MiB; {input.MemoryMiB} MiB leaves its command no room to run.");
        }

        var facts = store.Hosts.Find(input.HostId.ToString())?.Facts;
        if (facts is not null && (long)input.MemoryMiB * 1024 > facts.MemoryKiB)
        {
            throw new GuestActionException($"{input.MemoryMiB} MiB is more memory than the host has ({facts.MemoryKiB / 1024} MiB).");
        }

        var connection = hostConnections.GuestConnection(input.HostId);
        var hostName = store.Hosts.Find(input.HostId.ToString())?.Name ?? "the host";
        if (!connection.HypervisorType.Equals("LXC", StringComparison.OrdinalIgnoreCase))
        {
            throw new GuestActionException($"{hostName} runs {connection.HypervisorType} guests, not containers; create the container on a host added as lxc:///.");
        }

        var local = LocalHost.Is(connection.Uri);
        var (init, root) = input.Kind == ContainerKind.Application
            ? (CheckCommand(input.Command, local), (string?)null)
            : CheckRoot(input.RootDirectory, local);
        var network = string.IsNullOrWhiteSpace(input.Network) ? null : input.Network.Trim();
        var xml = ContainerDefinition.Xml(name, input.MemoryMiB, init, root, network);

        var uuid = await Task.Run(() =>
        {
            if (GuestLookups.DomainExists(connection, name))
            {
                throw new GuestActionException($"A guest named {name} already exists on {hostName}; choose another name.");
            }

            if (network is not null)
            {
                RequireNetwork(connection, network, hostName);
            }

            LibvirtDomain domain;
            try
            {
                domain = connection.DefineDomain(xml, DomainDefineFlags.Validate);
            }
            catch (LibvirtException e)
            {
                throw new GuestActionException($"Could not create {name}: {actions.ForUser(e)}", e);
            }

            using (domain)
            {
                try
                {
                    StartAndWatch(domain, name, init);
                    return domain.Uuid;
                }
                catch
                {
                    Undefine(domain, name);
                    throw;
                }
            }
        }, cancellationToken);

        return await actions.ReadNewAsync(new WatchedHost(input.HostId, hostName, connection), uuid, $"created by {caller.Identity?.Name ?? "someone"}")
            ?? throw new GuestActionException($"{name} was created but could not be read back; it shows once the host reports it.");
    }

    private void StartAndWatch(LibvirtDomain domain, string name, string init)
    {
        try
        {
            domain.Start();
        }
        catch (LibvirtException e)
        {
            throw new GuestActionException($"{name} did not start: {actions.ForUser(e)}", e);
        }

        var deadline = DateTime.UtcNow + StartWatch;
        while (DateTime.UtcNow < deadline)
        {
            if (!domain.IsActive)
            {
                throw new GuestActionException(
                    $"{name}'s command {init} exited at once, so the container stopped; give a command that keeps running (for example /bin/sh).");
            }

            Thread.Sleep(100);
        }
    }

    private void Undefine(LibvirtDomain domain, string name)
    {
        try
        {
            if (domain.IsActive)
            {
                domain.Destroy();
            }

            domain.Undefine();
        }
        catch (LibvirtException e)
        {
            logger.LogWarning("Could not undefine {Name} after a failed create: {Message}", name, e.Message);
        }
    }

    private static void RequireNetwork(LibvirtConnection connection, string network, string hostName)
    {
        try
        {
            using var found = connection.GetNetworkByName(network);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoNetwork)
        {
            throw new GuestActionException($"{hostName} has no libvirt network named {network}; pick one of its networks or none.", e);
        }
    }

    private static string CheckCommand(string? command, bool local)
    {
        var trimmed = command?.Trim() ?? "";
        if (!trimmed.StartsWith('/') || trimmed.Contains("..", StringComparison.Ordinal) || trimmed.Any(char.IsWhiteSpace))
        {
            throw new GuestActionException("Give the command as the absolute path of one program of the host, without arguments (for example /bin/sh).");
        }

        if (local && !File.Exists(trimmed))
        {
            throw new GuestActionException($"There is no program {trimmed} on this machine; the container runs a program of the host (for example /bin/sh).");
        }

        return trimmed;
    }

    private (string Init, string? Root) CheckRoot(string? directory, bool local)
    {
        var trimmed = directory?.Trim().TrimEnd('/') ?? "";
        var roots = options.Value.Roots;
        if (!trimmed.StartsWith('/') || trimmed.Contains("..", StringComparison.Ordinal)
            || !roots.Any(r => trimmed.StartsWith(r.TrimEnd('/') + "/", StringComparison.Ordinal)))
        {
            throw new GuestActionException(
                $"A system container's root filesystem must be a directory inside {string.Join(" or ", roots)}; {(trimmed.Length == 0 ? "none was given" : trimmed + " is not")}.");
        }

        if (local && !Directory.Exists(trimmed))
        {
            throw new GuestActionException($"The root directory {trimmed} does not exist; unpack a root filesystem there first, or pick another.");
        }

        if (local && !File.Exists(Path.Combine(trimmed, "sbin/init")))
        {
            throw new GuestActionException($"{trimmed} has no sbin/init, so there is nothing to boot; give the directory of a whole root filesystem.");
        }

        return ("/sbin/init", trimmed);
    }
}

using System.Security.Claims;
using VirtWeb.Access;
using VirtWeb.Hosts;
using VirtWeb.Images;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Live;

namespace VirtWeb.Networks;

/// <summary>What "Ready this host" would do on a host, in words, or nothing when the host is ready.</summary>
public sealed record ReadinessPlan(Guid HostId, IReadOnlyList<string> Steps)
{
    public bool Needed => Steps.Count > 0;
}

/// <summary>
/// A fresh libvirtd often has no storage pool and its <c>default</c> network defined but stopped, so no guest with a disk
/// or a network can be made. "Ready this host" makes the <c>default</c> directory pool on the first storage root and
/// starts (or defines) the <c>default</c> NAT network, both with autostart, through <see cref="PoolService"/> and
/// <see cref="NetworkService"/>: the same checks and audit rows as doing it by hand. Administrators of the host only.
/// </summary>
public sealed class HostReadiness(LiveStateStore store, StorageRoots roots, PoolService pools, NetworkService networks, AccessControl access)
{
    public const string DefaultName = "default";

    /// <summary>The NAT network libvirt's own packages define: 192.168.122.0/24 with DHCP on .2–.254.</summary>
    public const string DefaultCidr = "192.168.122.1/24";

    /// <summary>What is missing on the host, from the live store; empty steps when nothing is.</summary>
    public ReadinessPlan Assess(Guid hostId)
    {
        var steps = new List<string>();
        if (store.Hosts.Find(hostId.ToString()) is not { Connection: HostConnectionState.Connected })
        {
            return new ReadinessPlan(hostId, steps);
        }

        var hostPools = store.Pools.Current(p => p.HostId == hostId);
        if (!hostPools.Any(p => p.IsActive))
        {
            steps.Add(hostPools.FirstOrDefault(p => p.Name == DefaultName) is { } pool
                ? $"Start the storage pool {DefaultName} ({pool.TargetPath}) and start it with the host."
                : $"Create the directory pool {DefaultName} at {roots.Roots[0]}, start it, and start it with the host: new guests' disks go there.");
        }

        var hostNetworks = store.Networks.Current(n => n.HostId == hostId);
        if (!hostNetworks.Any(n => n.Active))
        {
            steps.Add(hostNetworks.FirstOrDefault(n => n.Name == DefaultName) is { } network
                ? $"Start the network {DefaultName} ({NetworkModes.Title(network.Mode)}{(network.Addresses.FirstOrDefault() is { } a ? $", {a.Subnet}" : "")}) and start it with the host."
                : $"Create the NAT network {DefaultName} ({DefaultCidr}, DHCP .2–.254), start it, and start it with the host: new guests' cards go there.");
        }

        return new ReadinessPlan(hostId, steps);
    }

    /// <summary>Does what <see cref="Assess"/> lists; returns what was done.</summary>
    public async Task<string> MakeReadyAsync(ClaimsPrincipal user, Guid hostId)
    {
        await access.RequireAsync(user, Permission.ManageHosts, "host.ready", AccessPaths.Host(hostId), "ready hosts");
        var done = new List<string>();
        var hostPools = store.Pools.Current(p => p.HostId == hostId);
        if (!hostPools.Any(p => p.IsActive))
        {
            if (hostPools.FirstOrDefault(p => p.Name == DefaultName) is { } pool)
            {
                await pools.StartPoolAsync(user, hostId, pool.Name);
                await pools.SetAutostartAsync(user, hostId, pool.Name, true);
                done.Add($"started pool {DefaultName}");
            }
            else
            {
                await pools.CreateDirectoryPoolAsync(user, hostId, DefaultName, roots.Roots[0], autostart: true);
                done.Add($"created pool {DefaultName} at {roots.Roots[0]}");
            }
        }

        var hostNetworks = store.Networks.Current(n => n.HostId == hostId);
        if (!hostNetworks.Any(n => n.Active))
        {
            if (hostNetworks.FirstOrDefault(n => n.Name == DefaultName) is { } network)
            {
                await networks.StartAsync(user, hostId, DefaultName);
                if (network.Persistent)
                {
                    await networks.SetAutostartAsync(user, hostId, DefaultName, true);
                }

                done.Add($"started network {DefaultName}");
            }
            else
            {
                await networks.CreateAsync(user, hostId, new NetworkInput(DefaultName, NetworkMode.Nat, DefaultCidr, "192.168.122.2", "192.168.122.254"));
                done.Add($"created NAT network {DefaultName}");
            }
        }

        return done.Count == 0 ? "The host was ready already." : $"Ready: {string.Join(", ", done)}, each with autostart.";
    }
}

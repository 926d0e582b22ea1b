using Microsoft.AspNetCore.Mvc;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Networks;

namespace VirtWeb.Api;

/// <summary>A network's address as JSON: the subnet as text (an <c>IPNetwork</c> has no JSON form of its own).</summary>
public sealed record NetworkAddressView(string Address, int Prefix, string Subnet, DhcpRange? Range, IReadOnlyList<DhcpHost> Hosts);

/// <summary>A virtual network as the Networks page lists it.</summary>
public sealed record NetworkView(
    Guid HostId, string HostName, Guid Uuid, string Name, NetworkMode Mode, string? ForwardMode, string? ForwardDevice, string? Bridge,
    bool Active, bool Autostart, bool Persistent, IReadOnlyList<NetworkAddressView> Addresses)
{
    public static NetworkView Of(NetworkState n) => new(
        n.HostId, n.HostName, n.Uuid, n.Name, n.Mode, n.ForwardMode, n.ForwardDevice, n.Bridge, n.Active, n.Autostart, n.Persistent,
        [.. n.Addresses.Select(a => new NetworkAddressView(a.Address, a.Prefix, a.Subnet.ToString(), a.Range, a.Hosts))]);
}

/// <summary>What a network action did, in the words the page's snackbar shows.</summary>
public sealed record NetworkActionResult(string Message);

public sealed record DhcpRangeRequest(string Start, string End);

public sealed record DhcpHostRequest(string Mac, string Ip, string? HostName = null);

/// <summary>Virtual networks and their DHCP leases, as the Networks page lists and changes them, through <see cref="NetworkService"/>.</summary>
public static class NetworksApi
{
    private const string NetworkRoute = "/hosts/{hostId}/networks/{network}";

    public static RouteGroupBuilder MapNetworksApi(this RouteGroupBuilder api)
    {
        var networks = api.MapGroup("").WithTags("Networks");
        networks.MapGet("/networks", List).WithName("ListNetworks");
        networks.MapGet(NetworkRoute, Get).WithName("GetNetwork");
        networks.MapGet("/leases", Leases).WithName("ListLeases");
        networks.MapGet("/hosts/{hostId}/bridges", (ClaimsPrincipal user, NetworkService service, Guid hostId) =>
            service.ListHostBridgesAsync(user, hostId)).WithName("ListHostBridges");
        networks.MapPost("/hosts/{hostId}/networks", async (ClaimsPrincipal user, NetworkService service, Guid hostId, [FromBody] NetworkInput input) =>
        {
            var done = await service.CreateAsync(user, hostId, input);
            return TypedResults.Created($"{ApiRoutes.V1}/hosts/{hostId}/networks/{Uri.EscapeDataString(input.Name)}", new NetworkActionResult(done));
        }).WithName("CreateNetwork");
        networks.MapPost(NetworkRoute + "/start", (ClaimsPrincipal user, NetworkService service, Guid hostId, string network) =>
            Done(service.StartAsync(user, hostId, network))).WithName("StartNetwork");
        networks.MapPost(NetworkRoute + "/stop", (ClaimsPrincipal user, NetworkService service, Guid hostId, string network) =>
            Done(service.StopAsync(user, hostId, network))).WithName("StopNetwork");
        networks.MapPut(NetworkRoute + "/autostart", (ClaimsPrincipal user, NetworkService service, Guid hostId, string network, [FromBody] AutostartRequest request) =>
            Done(service.SetAutostartAsync(user, hostId, network, request.Autostart))).WithName("SetNetworkAutostart");
        networks.MapDelete(NetworkRoute, (ClaimsPrincipal user, NetworkService service, Guid hostId, string network) =>
            Done(service.DeleteAsync(user, hostId, network))).WithName("DeleteNetwork");
        networks.MapPut(NetworkRoute + "/dhcp/range", (ClaimsPrincipal user, NetworkService service, Guid hostId, string network, [FromBody] DhcpRangeRequest request) =>
            Done(service.SetDhcpRangeAsync(user, hostId, network, request.Start, request.End))).WithName("SetDhcpRange");
        networks.MapPost(NetworkRoute + "/dhcp/hosts", (ClaimsPrincipal user, NetworkService service, Guid hostId, string network, [FromBody] DhcpHostRequest request) =>
            Done(service.AddDhcpHostAsync(user, hostId, network, request.Mac, request.Ip, request.HostName))).WithName("AddDhcpHost");
        networks.MapDelete(NetworkRoute + "/dhcp/hosts/{mac}", (ClaimsPrincipal user, NetworkService service, Guid hostId, string network, string mac) =>
            Done(service.RemoveDhcpHostAsync(user, hostId, network, mac))).WithName("RemoveDhcpHost");
        return api;
    }

    private static IReadOnlyList<NetworkView> List(ClaimsPrincipal user, LiveStateStore store, AccessControl access, Guid? host = null) =>
        store.Networks.Current(n => (host is null || n.HostId == host) && access.Allows(user, n.AccessPath, Permission.View))
            .OrderBy(n => n.HostName, StringComparer.OrdinalIgnoreCase).ThenBy(n => n.Name, StringComparer.Ordinal).Select(NetworkView.Of).ToList();

    private static IResult Get(ClaimsPrincipal user, LiveStateStore store, AccessControl access, Guid hostId, string network) =>
        store.Networks.Current(n => n.HostId == hostId && n.Name == network && access.Allows(user, n.AccessPath, Permission.View)) is [var found, ..]
            ? TypedResults.Ok(NetworkView.Of(found))
            : ApiProblems.Result(StatusCodes.Status404NotFound, $"There is no network {network} on host {hostId} that you may see.");

    private static IReadOnlyList<LeaseState> Leases(ClaimsPrincipal user, LiveStateStore store, AccessControl access, Guid? host = null, string? network = null) =>
        store.Leases.Current(l => (host is null || l.HostId == host) && (network is null || l.NetworkName == network) && access.Allows(user, l.AccessPath, Permission.View))
            .OrderBy(l => l.NetworkName, StringComparer.Ordinal).ThenBy(l => l.IpAddress, StringComparer.Ordinal).ToList();

    private static async Task<NetworkActionResult> Done(Task<string> change) => new(await change);
}

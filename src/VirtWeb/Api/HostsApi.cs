using Microsoft.AspNetCore.Mvc;

namespace VirtWeb.Api;

public sealed record HostTestRequest(string? Uri, Guid? HostId = null);

/// <summary>Hosts: the live list as the host pages filter it; add, edit, remove and test for Administrators.</summary>
public static class HostsApi
{
    public static RouteGroupBuilder MapHostsApi(this RouteGroupBuilder api)
    {
        var hosts = api.MapGroup("/hosts").WithTags("Hosts");
        hosts.MapGet("", List).WithName("ListHosts");
        hosts.MapGet("/{hostId}", Get).WithName("GetHost");
        hosts.MapPost("", AddAsync).WithName("AddHost");
        hosts.MapPut("/{hostId}", UpdateAsync).WithName("UpdateHost");
        hosts.MapDelete("/{hostId}", RemoveAsync).WithName("RemoveHost");
        hosts.MapPost("/test-connection", TestAsync).WithName("TestHostConnection");
        return api;
    }

    private static IReadOnlyList<HostState> List(ClaimsPrincipal user, LiveStateStore store, AccessControl access) =>
        store.Hosts.Current(h => access.MaySeeAnythingUnder(user, h.AccessPath)).OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToList();

    private static IResult Get(ClaimsPrincipal user, LiveStateStore store, AccessControl access, Guid hostId) =>
        store.Hosts.Find(hostId.ToString()) is { } host && access.MaySeeAnythingUnder(user, host.AccessPath)
            ? TypedResults.Ok(host)
            : ApiProblems.Result(StatusCodes.Status404NotFound, $"There is no host {hostId} that you may see.");

    private static async Task<IResult> AddAsync(ClaimsPrincipal user, HostService hosts, [FromBody] HostInput input, CancellationToken cancellationToken)
    {
        var host = await hosts.AddAsync(user, input, cancellationToken);
        return TypedResults.Created($"{ApiRoutes.V1}/hosts/{host.Id}", host);
    }

    private static async Task<HostRecord> UpdateAsync(ClaimsPrincipal user, HostService hosts, Guid hostId, [FromBody] HostInput input, CancellationToken cancellationToken) =>
        await hosts.UpdateAsync(user, hostId, input, cancellationToken);

    private static async Task<IResult> RemoveAsync(ClaimsPrincipal user, HostService hosts, Guid hostId, CancellationToken cancellationToken)
    {
        await hosts.RemoveAsync(user, hostId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<ConnectionProbeResult> TestAsync(ClaimsPrincipal user, HostService hosts, [FromBody] HostTestRequest request, CancellationToken cancellationToken) =>
        await hosts.TestConnectionAsync(user, new HostInput("connection test", request.Uri), request.HostId, cancellationToken);
}

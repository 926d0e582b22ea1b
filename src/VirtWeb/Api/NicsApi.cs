using Microsoft.AspNetCore.Mvc;
using VirtWeb.Networks;

namespace VirtWeb.Api;

public sealed record NicNetworkRequest(string Network);

public sealed record NicLinkRequest(bool Up);

/// <summary>A guest's network cards, as the guest page's Network tab lists and changes them, through <see cref="NicService"/>.</summary>
public static class NicsApi
{
    private const string NicsRoute = "/hosts/{hostId}/guests/{uuid}/nics";

    public static RouteGroupBuilder MapNicsApi(this RouteGroupBuilder api)
    {
        var nics = api.MapGroup("").WithTags("Nics");
        nics.MapGet(NicsRoute, List).WithName("ListGuestNics");
        nics.MapPost(NicsRoute,
            async (ClaimsPrincipal user, NicService service, Guid hostId, Guid uuid, [FromBody] NicInput input, CancellationToken cancellationToken) =>
                GuestsApi.Done(await service.AttachNicAsync(user, hostId, uuid, input, cancellationToken)))
            .WithName("AttachNic").WithMetadata(new GuestFailureStatus(StatusCodes.Status422UnprocessableEntity));
        nics.MapDelete(NicsRoute + "/{mac}",
            async (ClaimsPrincipal user, NicService service, Guid hostId, Guid uuid, string mac, CancellationToken cancellationToken) =>
                GuestsApi.Done(await service.DetachNicAsync(user, hostId, uuid, mac, cancellationToken))).WithName("DetachNic");
        nics.MapPut(NicsRoute + "/{mac}/network",
            async (ClaimsPrincipal user, NicService service, Guid hostId, Guid uuid, string mac, [FromBody] NicNetworkRequest request, CancellationToken cancellationToken) =>
                GuestsApi.Done(await service.SetNicNetworkAsync(user, hostId, uuid, mac, request.Network, cancellationToken))).WithName("SetNicNetwork");
        nics.MapPut(NicsRoute + "/{mac}/link",
            async (ClaimsPrincipal user, NicService service, Guid hostId, Guid uuid, string mac, [FromBody] NicLinkRequest request, CancellationToken cancellationToken) =>
                GuestsApi.Done(await service.SetNicLinkAsync(user, hostId, uuid, mac, request.Up, cancellationToken))).WithName("SetNicLink");
        return api;
    }

    private static IResult List(ClaimsPrincipal user, LiveStateStore store, AccessControl access, Guid hostId, Guid uuid) =>
        access.Allows(user, Access.AccessPaths.Guest(hostId, uuid), Permission.View) && store.Guests.Find(GuestState.KeyOf(hostId, uuid)) is not null
            ? TypedResults.Ok(store.Nics.Current(n => n.HostId == hostId && n.GuestUuid == uuid).OrderBy(n => n.Mac, StringComparer.Ordinal).ToList())
            : ApiProblems.Result(StatusCodes.Status404NotFound, $"There is no guest {uuid} on host {hostId} that you may see.");
}

using Microsoft.AspNetCore.Mvc;
using VirtWeb.MachineIds;

namespace VirtWeb.Api;

/// <summary>A page of a list, with how many items match in all.</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

public sealed record GuestCloneRequest(string? Name, GuestCloneDisks Disks = GuestCloneDisks.Overlay, bool NewMachineId = true);

/// <summary>Guests: the live list (as the /guests page filters it), power and settings, create, clone, delete and XML.</summary>
public static class GuestsApi
{
    public const int MaxPageSize = 500;
    private const string GuestRoute = "/hosts/{hostId}/guests/{uuid}";

    public static RouteGroupBuilder MapGuestsApi(this RouteGroupBuilder api)
    {
        var guests = api.MapGroup("").WithTags("Guests");
        guests.MapGet("/guests", List).WithName("ListGuests");
        guests.MapGet(GuestRoute, Get).WithName("GetGuest");
        guests.MapPost(GuestRoute + "/actions/{action}", RunAsync).WithName("RunGuestAction");
        guests.MapPost("/guests", CreateAsync).WithName("CreateGuest").WithMetadata(new GuestFailureStatus(StatusCodes.Status422UnprocessableEntity));
        guests.MapPost(GuestRoute + "/clone", CloneAsync).WithName("CloneGuest").WithMetadata(new GuestFailureStatus(StatusCodes.Status422UnprocessableEntity));
        guests.MapDelete(GuestRoute, DeleteAsync).WithName("DeleteGuest");
        guests.MapGet(GuestRoute + "/xml", ReadXmlAsync).WithName("GetGuestXml").Produces<string>(contentType: "application/xml");
        guests.MapPut(GuestRoute + "/xml", UpdateXmlAsync).WithName("PutGuestXml")
            .Accepts<string>("application/xml").WithMetadata(new GuestFailureStatus(StatusCodes.Status422UnprocessableEntity));
        return api;
    }

    private static ListPage<GuestState> List(
        ClaimsPrincipal user, LiveStateStore store, AccessControl access,
        Guid? host = null, DomainState? state = null, GuestKind? kind = null, string? search = null, int page = 1, int pageSize = 100)
    {
        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            throw new ApiInputException($"Pages count from 1 and hold 1 to {MaxPageSize} guests; asked for page {page} of {pageSize}.");
        }

        var text = search?.Trim();
        var matching = store.Guests.Current(g =>
                (host is null || g.HostId == host) && (state is null || g.State == state) && (kind is null || g.Kind == kind)
                && (string.IsNullOrEmpty(text) || g.Name.Contains(text, StringComparison.OrdinalIgnoreCase))
                && access.Allows(user, g.AccessPath, Permission.View))
            .OrderBy(g => g.HostName, StringComparer.OrdinalIgnoreCase).ThenBy(g => g.Name, StringComparer.OrdinalIgnoreCase).ThenBy(g => g.Uuid)
            .ToList();
        return new ListPage<GuestState>(matching.Skip((page - 1) * pageSize).Take(pageSize).ToList(), page, pageSize, matching.Count);
    }

    private static IResult Get(ClaimsPrincipal user, LiveStateStore store, AccessControl access, Guid hostId, Guid uuid) =>
        store.Guests.Find(GuestState.KeyOf(hostId, uuid)) is { } guest && access.Allows(user, guest.AccessPath, Permission.View)
            ? TypedResults.Ok(guest)
            : ApiProblems.Result(StatusCodes.Status404NotFound, $"There is no guest {uuid} on host {hostId} that you may see.");

    private static async Task<IResult> RunAsync(ClaimsPrincipal user, GuestService guests, Guid hostId, Guid uuid, string action, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<GuestAction>(action.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
        {
            throw new ApiInputException($"Unknown action '{action}'; use one of {string.Join(", ", Enum.GetNames<GuestAction>())}.");
        }

        return Done(await guests.RunAsync(user, hostId, uuid, parsed, cancellationToken));
    }

    private static async Task<IResult> CreateAsync(ClaimsPrincipal user, GuestCreationService creation, [FromBody] GuestCreateInput input, CancellationToken cancellationToken)
    {
        var guest = await creation.CreateAsync(user, input, cancellationToken);
        return TypedResults.Created($"{ApiRoutes.V1}/hosts/{guest.HostId}/guests/{guest.Uuid}", guest);
    }

    private static async Task<IResult> CloneAsync(
        ClaimsPrincipal user, MachineIdService machineIds, Guid hostId, Guid uuid, [FromBody] GuestCloneRequest request, CancellationToken cancellationToken)
    {
        // The clone dialog's path: MachineIdService gives the clone its own machine ID unless asked not to.
        var clone = await machineIds.CloneAsync(user, hostId, uuid, request.Name, request.Disks, request.NewMachineId, cancellationToken);
        return TypedResults.Created($"{ApiRoutes.V1}/hosts/{clone.HostId}/guests/{clone.Uuid}", clone);
    }

    private static async Task<IResult> DeleteAsync(
        ClaimsPrincipal user, GuestService guests, Guid hostId, Guid uuid, [FromQuery] string confirmName, [FromQuery] bool deleteDisks = false,
        CancellationToken cancellationToken = default) =>
        Done(await guests.DeleteAsync(user, hostId, uuid, confirmName, deleteDisks, cancellationToken));

    private static async Task<IResult> ReadXmlAsync(ClaimsPrincipal user, GuestService guests, Guid hostId, Guid uuid, CancellationToken cancellationToken) =>
        TypedResults.Text((await guests.ReadDetailsAsync(user, hostId, uuid, cancellationToken)).Xml, "application/xml");

    private static async Task<IResult> UpdateXmlAsync(HttpRequest request, GuestService guests, Guid hostId, Guid uuid, CancellationToken cancellationToken)
    {
        var xml = await ApiBodies.ReadTextAsync(request, ["application/xml", "text/xml"], cancellationToken);
        return Done(await guests.UpdateXmlAsync(request.HttpContext.User, hostId, uuid, xml, cancellationToken));
    }

    /// <summary>A skipped action (another one runs on the guest) is a conflict: nothing was done.</summary>
    internal static IResult Done(GuestActionResult result) =>
        result.Done ? TypedResults.Ok(result) : ApiProblems.Result(StatusCodes.Status409Conflict, result.Message);
}

using Microsoft.AspNetCore.Mvc;
using VirtWeb.Snapshots;

namespace VirtWeb.Api;

public sealed record SnapshotRevertRequest(bool SafetySnapshot = true);

/// <summary>Snapshots of a guest, as the guest page's Snapshots tab shows and changes them, through <see cref="SnapshotService"/>.</summary>
public static class SnapshotsApi
{
    private const string SnapshotsRoute = "/hosts/{hostId}/guests/{uuid}/snapshots";

    public static RouteGroupBuilder MapSnapshotsApi(this RouteGroupBuilder api)
    {
        var snapshots = api.MapGroup("").WithTags("Snapshots");
        snapshots.MapGet(SnapshotsRoute,
            (ClaimsPrincipal user, SnapshotService service, Guid hostId, Guid uuid, CancellationToken cancellationToken) =>
                service.ReadTreeAsync(user, hostId, uuid, cancellationToken)).WithName("GetSnapshotTree");
        // A GET with the create form's fields: it only reads, so a Viewer may ask what a snapshot would cost.
        snapshots.MapGet(SnapshotsRoute + "/cost",
            (ClaimsPrincipal user, SnapshotService service, Guid hostId, Guid uuid, [FromQuery] SnapshotKind kind = SnapshotKind.Internal, [FromQuery] bool withMemory = false,
                CancellationToken cancellationToken = default) =>
                service.ReadCostAsync(user, hostId, uuid, new SnapshotCreateInput("cost", null, kind, withMemory), cancellationToken)).WithName("GetSnapshotCost");
        snapshots.MapGet(SnapshotsRoute + "/{snapshot}/comparison",
            (ClaimsPrincipal user, SnapshotService service, Guid hostId, Guid uuid, string snapshot, CancellationToken cancellationToken) =>
                service.ReadComparisonAsync(user, hostId, uuid, snapshot, cancellationToken)).WithName("CompareSnapshot")
            // A comparison fails only when the snapshot, or the definition it should hold, is not there.
            .WithMetadata(new GuestFailureStatus(StatusCodes.Status404NotFound));
        snapshots.MapPost(SnapshotsRoute,
            async (ClaimsPrincipal user, SnapshotService service, Guid hostId, Guid uuid, [FromBody] SnapshotCreateInput input, CancellationToken cancellationToken) =>
                GuestsApi.Done(await service.CreateAsync(user, hostId, uuid, input, cancellationToken)))
            .WithName("CreateSnapshot").WithMetadata(new GuestFailureStatus(StatusCodes.Status422UnprocessableEntity));
        snapshots.MapPost(SnapshotsRoute + "/{snapshot}/revert",
            async (ClaimsPrincipal user, SnapshotService service, Guid hostId, Guid uuid, string snapshot, [FromBody] SnapshotRevertRequest request,
                CancellationToken cancellationToken) =>
                GuestsApi.Done(await service.RevertAsync(user, hostId, uuid, snapshot, request.SafetySnapshot, cancellationToken))).WithName("RevertToSnapshot");
        snapshots.MapDelete(SnapshotsRoute + "/{snapshot}",
            async (ClaimsPrincipal user, SnapshotService service, Guid hostId, Guid uuid, string snapshot, [FromQuery] bool withDescendants = false,
                CancellationToken cancellationToken = default) =>
                GuestsApi.Done(await service.DeleteAsync(user, hostId, uuid, snapshot, withDescendants, cancellationToken))).WithName("DeleteSnapshot");
        snapshots.MapPost(SnapshotsRoute + "/leftovers/remove",
            async (ClaimsPrincipal user, SnapshotService service, Guid hostId, Guid uuid, [FromBody] VolumePathRequest request, CancellationToken cancellationToken) =>
                GuestsApi.Done(await service.RemoveLeftoverAsync(user, hostId, uuid, request.Path, cancellationToken))).WithName("RemoveSnapshotLeftover");
        return api;
    }
}

using Microsoft.AspNetCore.Mvc;
using VirtWeb.Images;

namespace VirtWeb.Api;

public sealed record PoolCreateRequest(string Name, string Directory, bool Autostart = true);

public sealed record AutostartRequest(bool Autostart);

/// <summary>A new volume: <see cref="BackingPath"/> makes a qcow2 overlay on it (and ignores format and size).</summary>
public sealed record VolumeCreateRequest(string Name, string Format = "qcow2", long SizeBytes = 0, string? BackingPath = null);

public sealed record VolumeCloneRequest(string SourcePath, string Pool, string Name, string Format);

public sealed record VolumeResizeRequest(string Path, long NewSizeBytes, bool ConfirmShrink = false);

public sealed record VolumePathRequest(string Path);

/// <summary>What an image action did; <see cref="Path"/> is the volume's path on the host where there is one.</summary>
public sealed record ImageActionResult(string? Path);

/// <summary>Storage pools and volumes as the Images page lists them, and every change it makes, uploads and downloads included.</summary>
public static class ImagesApi
{
    private const string PoolRoute = "/hosts/{hostId}/pools/{pool}";

    public static RouteGroupBuilder MapImagesApi(this RouteGroupBuilder api)
    {
        var images = api.MapGroup("").WithTags("Images");
        images.MapGet("/pools", ListPools).WithName("ListPools");
        images.MapGet("/volumes", ListVolumes).WithName("ListVolumes");
        images.MapPost("/hosts/{hostId}/pools", (ClaimsPrincipal user, PoolService pools, Guid hostId, [FromBody] PoolCreateRequest request) =>
            Changed(pools.CreateDirectoryPoolAsync(user, hostId, request.Name, request.Directory, request.Autostart))).WithName("CreatePool");
        images.MapPost(PoolRoute + "/start", (ClaimsPrincipal user, PoolService pools, Guid hostId, string pool) =>
            Changed(pools.StartPoolAsync(user, hostId, pool))).WithName("StartPool");
        images.MapPost(PoolRoute + "/stop", (ClaimsPrincipal user, PoolService pools, Guid hostId, string pool) =>
            Changed(pools.StopPoolAsync(user, hostId, pool))).WithName("StopPool");
        images.MapPost(PoolRoute + "/refresh", (ClaimsPrincipal user, PoolService pools, Guid hostId, string pool) =>
            Changed(pools.RefreshPoolAsync(user, hostId, pool))).WithName("RefreshPool");
        images.MapPut(PoolRoute + "/autostart", (ClaimsPrincipal user, PoolService pools, Guid hostId, string pool, [FromBody] AutostartRequest request) =>
            Changed(pools.SetAutostartAsync(user, hostId, pool, request.Autostart))).WithName("SetPoolAutostart");
        images.MapDelete(PoolRoute, (ClaimsPrincipal user, PoolService pools, Guid hostId, string pool) =>
            Changed(pools.DeletePoolAsync(user, hostId, pool))).WithName("DeletePool");

        images.MapPost(PoolRoute + "/volumes", CreateVolumeAsync).WithName("CreateVolume");
        images.MapPost("/hosts/{hostId}/volumes/clone", (ClaimsPrincipal user, VolumeService volumes, Guid hostId, [FromBody] VolumeCloneRequest request) =>
            Changed(volumes.CloneVolumeAsync(user, hostId, request.SourcePath, request.Pool, request.Name, request.Format))).WithName("CloneVolume");
        images.MapPost("/hosts/{hostId}/volumes/resize", (ClaimsPrincipal user, VolumeService volumes, Guid hostId, [FromBody] VolumeResizeRequest request) =>
            Changed(volumes.ResizeVolumeAsync(user, hostId, request.Path, request.NewSizeBytes, request.ConfirmShrink))).WithName("ResizeVolume");
        images.MapPost("/hosts/{hostId}/volumes/wipe", (ClaimsPrincipal user, VolumeService volumes, Guid hostId, [FromBody] VolumePathRequest request) =>
            Changed(volumes.WipeVolumeAsync(user, hostId, request.Path))).WithName("WipeVolume");
        images.MapPost("/hosts/{hostId}/volumes/delete", (ClaimsPrincipal user, VolumeService volumes, Guid hostId, [FromBody] VolumePathRequest request) =>
            Changed(volumes.DeleteVolumeAsync(user, hostId, request.Path))).WithName("DeleteVolume");

        images.MapPut(PoolRoute + "/volumes/{name}/content", UploadAsync).WithName("UploadVolume")
            .WithMetadata(new StreamedBody()).Accepts<Stream>("application/octet-stream");
        images.MapGet("/hosts/{hostId}/volumes/content", DownloadAsync).WithName("DownloadVolume").Produces<Stream>(contentType: "application/octet-stream");
        return api;
    }

    private static IReadOnlyList<PoolState> ListPools(ClaimsPrincipal user, LiveStateStore store, AccessControl access, Guid? host = null) =>
        store.Pools.Current(p => (host is null || p.HostId == host) && access.Allows(user, p.AccessPath, Permission.View))
            .OrderBy(p => p.HostName, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Name, StringComparer.Ordinal).ToList();

    private static IReadOnlyList<VolumeState> ListVolumes(ClaimsPrincipal user, LiveStateStore store, AccessControl access, Guid? host = null, string? pool = null) =>
        store.Volumes.Current(v => (host is null || v.HostId == host) && (pool is null || v.PoolName == pool) && access.Allows(user, v.AccessPath, Permission.View))
            .OrderBy(v => v.Path, StringComparer.Ordinal).ToList();

    private static Task<ImageActionResult> CreateVolumeAsync(
        ClaimsPrincipal user, VolumeService volumes, Guid hostId, string pool, [FromBody] VolumeCreateRequest request) =>
        Changed(request.BackingPath is { } backing
            ? volumes.CreateOverlayAsync(user, hostId, pool, request.Name, backing)
            : volumes.CreateVolumeAsync(user, hostId, pool, request.Name, request.Format, request.SizeBytes));

    private static Task<IResult> UploadAsync(
        HttpContext context, VolumeTransfers transfers, Guid hostId, string pool, string name, [FromQuery] string format, [FromQuery] long? capacity = null) =>
        ImagesEndpoints.StreamUploadAsync(context, transfers, hostId, pool, name, format, capacity);

    private static async Task<IResult> DownloadAsync(HttpContext context, VolumeTransfers transfers, Guid hostId, [FromQuery] string path)
    {
        var download = await transfers.DownloadAsync(context.User, hostId, path);
        return new DownloadResult(download);
    }

    private static async Task<ImageActionResult> Changed(Task<string> change) => new(await change);

    private static async Task<ImageActionResult> Changed(Task change)
    {
        await change;
        return new ImageActionResult(null);
    }

    private sealed class DownloadResult(VolumeDownload download) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => ImagesEndpoints.WriteDownloadAsync(httpContext, download);
    }
}

using static VirtWeb.Images.ImageOperations;

namespace VirtWeb.Images;

/// <summary>What a volume download sends: a file name, its length when known, and the copy itself.</summary>
public sealed record VolumeDownload(string FileName, long? Length, Func<Stream, CancellationToken, Task> CopyToAsync);

/// <summary>
/// Uploads into and downloads from volumes, as <see cref="ImagesEndpoints"/> streams them. Operators only, checked
/// here: images hold guests' data. Every transfer, refusal and failure is written to the audit trail.
/// </summary>
public sealed class VolumeTransfers(ImageOperations operations, ILogger<VolumeTransfers> logger)
{
    /// <summary>
    /// Streams <paramref name="body"/> (exactly <paramref name="length"/> bytes) into a new volume of
    /// <paramref name="capacityBytes"/> (the file's size when null). Any failure or cancellation deletes the volume, so
    /// nothing half-written stays behind.
    /// </summary>
    public async Task<string> UploadAsync(
        ClaimsPrincipal user, Guid hostId, string poolName, string name, string format, long length, long? capacityBytes,
        Stream body, CancellationToken cancellationToken)
    {
        var audited = new Audited("image.upload", AccessPaths.Volume(hostId, poolName, name), "upload volumes");
        await operations.RequireMayChangeAsync(user, audited);
        string path;
        try
        {
            path = await UploadAllowedAsync(hostId, poolName, name, format, length, capacityBytes, body, cancellationToken);
        }
        catch (Exception e)
        {
            // Cancelled by the browser, cut off, refused by libvirt or by validation: each is one Failure row.
            await operations.Audit.WriteAsync(user, audited.Action, audited.Target, OutcomeOf(e), e.Message);
            throw;
        }

        await operations.Audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Success, $"{format}, {length} bytes");
        return path;
    }

    private async Task<string> UploadAllowedAsync(
        Guid hostId, string poolName, string name, string format, long length, long? capacityBytes, Stream body, CancellationToken cancellationToken)
    {
        ImageNames.Require(name);
        format = ImageNames.RequireFormat(format, ImageNames.UploadFormats);
        var size = ImageNames.RequireSize(length, "file size");
        var capacity = capacityBytes is { } requested ? ImageNames.RequireSize(requested, "volume size") : size;
        if (size > capacity)
        {
            throw new ImageException(
                $"The file ({ImageNames.Bytes(size)}) is larger than the volume ({ImageNames.Bytes(capacity)}); make the volume at least as large as the file.",
                ImageFailure.TooLarge);
        }

        var connection = operations.Connection(hostId);
        Guid poolUuid;
        LibvirtStorageVolume volume;
        try
        {
            (poolUuid, volume) = await Task.Run(() =>
            {
                using var pool = FindPool(connection, poolName);
                operations.Roots.RequireInside(pool, "upload into it");
                // libvirt's free figure is from the pool's last refresh; whatever filled the file system since counts.
                TryRefresh(pool);
                RequireFits(pool, capacity, preallocated: true);
                // Created as plain bytes and sparse: the upload writes every byte anyway, and the pool refresh afterwards
                // lets libvirt probe the real format (a qcow2 file stays qcow2).
                var xml = StorageVolumeDefinition.BuildXml(name, capacity, format == "iso" ? "iso" : "raw", allocationBytes: 0);
                return (pool.Uuid, Create(pool, name, () => pool.CreateVolume(xml)));
            }, CancellationToken.None);
        }
        catch (LibvirtException e)
        {
            throw operations.Translate(e, name);
        }

        var path = volume.Path;
        try
        {
            using (volume)
            {
                await using var source = new ExactLengthStream(body, length);
                await volume.UploadAsync(source, 0, size, cancellationToken);
            }
        }
        catch (Exception e)
        {
            logger.LogInformation("Upload of {Volume} to {Pool} stopped ({Reason}); deleting the partial volume.", name, poolName, e.Message);
            await Task.Run(() => DeleteQuietly(connection, path), CancellationToken.None);
            await operations.Watcher.RefreshPoolAsync(hostId, connection, poolUuid);
            if (PoolFull.Is(e))
            {
                throw new ImageException(
                    PoolFull.Message(poolName, $"{name} was uploaded ({ImageNames.Bytes(size)})", "the partial volume was removed"), ImageFailure.TooLarge);
            }

            if (e is LibvirtException libvirt)
            {
                throw operations.Translate(libvirt, name);
            }

            throw;
        }

        await Task.Run(() =>
        {
            using var pool = connection.GetStoragePoolByUuid(poolUuid);
            TryRefresh(pool);
        }, CancellationToken.None);
        await operations.Watcher.RefreshPoolAsync(hostId, connection, poolUuid);
        return path;
    }

    /// <summary>
    /// The volume's bytes as stored (a qcow2 volume downloads as its qcow2 file). Operators only: images hold guests'
    /// data. The trail gets a row when the copy ends, with how it ended.
    /// </summary>
    public async Task<VolumeDownload> DownloadAsync(ClaimsPrincipal user, Guid hostId, string path)
    {
        var audited = new Audited("image.download", operations.VolumeTarget(hostId, path), "download volumes");
        await operations.RequireMayChangeAsync(user, audited);
        try
        {
            var connection = operations.Connection(hostId);
            return await Task.Run(() =>
            {
                using var volume = FindVolume(connection, path);
                operations.Roots.RequireInside(volume, "let its volumes be downloaded");
                var definition = volume.GetDefinition();
                var info = volume.GetInfo();
                long? length = definition.PhysicalBytes is { } physical ? (long)physical
                    : definition.TargetFormat is "raw" or "iso" ? (long)info.CapacityBytes : null;
                var fileName = volume.Name;
                return new VolumeDownload(fileName, length, async (destination, cancellationToken) =>
                {
                    try
                    {
                        using var fresh = FindVolume(connection, path);
                        await fresh.DownloadAsync(destination, cancellationToken: cancellationToken);
                        await destination.FlushAsync(cancellationToken);
                    }
                    catch (Exception e)
                    {
                        await operations.Audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Failure, e.Message);
                        throw;
                    }

                    await operations.Audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Success, length is { } bytes ? $"{bytes} bytes" : null);
                });
            });
        }
        catch (LibvirtException e)
        {
            var translated = operations.Translate(e, null);
            await operations.Audit.WriteAsync(user, audited.Action, audited.Target, AuditOutcome.Failure, translated.Message);
            throw translated;
        }
        catch (ImageException e)
        {
            await operations.Audit.WriteAsync(user, audited.Action, audited.Target, OutcomeOf(e), e.Message);
            throw;
        }
    }
}

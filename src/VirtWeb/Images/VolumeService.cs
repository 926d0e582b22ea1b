using static VirtWeb.Images.ImageOperations;

namespace VirtWeb.Images;

/// <summary>
/// Creating, copying, resizing, wiping and deleting volumes. Each method checks the caller's role itself (Operator or
/// Administrator), re-reads what it depends on from libvirt rather than trusting the page, and re-reads the pool into
/// the live store afterwards (libvirt has no volume events). Volumes are named by host and path, which libvirt keeps
/// unique per host. Volumes of pools outside VirtWeb's storage roots (<see cref="StorageRoots"/>) are shown only.
/// </summary>
public sealed class VolumeService(ImageOperations operations)
{
    /// <summary>A qcow2 (thin: grows as data is written) or raw (preallocated: takes its whole size now) volume.</summary>
    public Task<string> CreateVolumeAsync(ClaimsPrincipal user, Guid hostId, string poolName, string name, string format, long sizeBytes) =>
        operations.RunAsync(user, new("image.create", AccessPaths.Volume(hostId, poolName, name), "create volumes", $"{format}, {sizeBytes} bytes"), hostId, connection =>
        {
            ImageNames.Require(name);
            format = ImageNames.RequireFormat(format, ImageNames.CreatableFormats);
            var size = ImageNames.RequireSize(sizeBytes);
            using var pool = FindPool(connection, poolName);
            operations.Roots.RequireInside(pool, "create volumes in it");
            RequireFits(pool, size, preallocated: format == "raw");
            using var volume = Create(pool, name, () => pool.CreateVolume(StorageVolumeDefinition.BuildXml(name, size, format)));
            return (pool.Uuid, volume.Path);
        });

    /// <summary>A qcow2 overlay (linked clone) on <paramref name="backingPath"/>: it stores only what differs from it.</summary>
    public Task<string> CreateOverlayAsync(ClaimsPrincipal user, Guid hostId, string poolName, string name, string backingPath) =>
        operations.RunAsync(user, new("image.overlay", AccessPaths.Volume(hostId, poolName, name), "create volumes", $"qcow2 overlay on {backingPath}", hostId, backingPath), hostId, connection =>
        {
            ImageNames.Require(name);
            using var backing = FindVolume(connection, backingPath);
            operations.Roots.RequireInside(backing, "let its volumes back overlays");
            var backingDefinition = backing.GetDefinition();
            var capacity = backing.GetInfo().CapacityBytes;
            using var pool = FindPool(connection, poolName);
            operations.Roots.RequireInside(pool, "create volumes in it");
            var xml = StorageVolumeDefinition.BuildXml(name, capacity, "qcow2", backingPath: backing.Path, backingFormat: backingDefinition.TargetFormat ?? "raw");
            using var volume = Create(pool, name, () => pool.CreateVolume(xml));
            return (pool.Uuid, volume.Path);
        });

    /// <summary>A full copy of <paramref name="sourcePath"/>; a different format converts (qemu-img convert).</summary>
    public Task<string> CloneVolumeAsync(ClaimsPrincipal user, Guid hostId, string sourcePath, string poolName, string name, string format) =>
        operations.RunAsync(user, new("image.clone", AccessPaths.Volume(hostId, poolName, name), "clone volumes", $"{format} copy of {sourcePath}", hostId, sourcePath), hostId, connection =>
        {
            ImageNames.Require(name);
            format = ImageNames.RequireFormat(format, ImageNames.CreatableFormats);
            using var source = FindVolume(connection, sourcePath);
            operations.Roots.RequireInside(source, "copy its volumes");
            var capacity = source.GetInfo().CapacityBytes;
            using var pool = FindPool(connection, poolName);
            operations.Roots.RequireInside(pool, "create volumes in it");
            RequireFits(pool, capacity, preallocated: format == "raw");
            using var volume = Create(pool, name, () => PoolFull.CopyInto(pool, name, () => pool.CloneVolume(StorageVolumeDefinition.BuildXml(name, capacity, format), source)));
            return (pool.Uuid, volume.Path);
        }, ownConnection: true);

    /// <summary>Grows a volume; shrinking is refused unless the volume is raw, unused and <paramref name="confirmShrink"/>.</summary>
    public Task<string> ResizeVolumeAsync(ClaimsPrincipal user, Guid hostId, string path, long newSizeBytes, bool confirmShrink = false) =>
        operations.RunLockedAsync(user, new("image.resize", operations.VolumeTarget(hostId, path), "resize volumes", $"to {newSizeBytes} bytes{(confirmShrink ? ", shrink confirmed" : "")}"), hostId, path, connection =>
        {
            var size = ImageNames.RequireSize(newSizeBytes, "new size");
            using var volume = FindVolume(connection, path);
            using var pool = volume.GetPool();
            operations.Roots.RequireInside(pool, "resize its volumes");
            var info = volume.GetInfo();
            var format = volume.GetDefinition().TargetFormat ?? "raw";
            if (size == info.CapacityBytes)
            {
                throw new ImageException($"{volume.Name} is already {ImageNames.Bytes(size)}; choose another size.");
            }

            var flags = format == "raw" ? StorageVolumeResizeFlags.Allocate : StorageVolumeResizeFlags.None;
            if (size < info.CapacityBytes)
            {
                if (format != "raw")
                {
                    throw new ImageException(
                        $"{volume.Name} is {format}: VirtWeb only grows such volumes. Shrinking would cut off data the guest may use; clone it smaller from inside the guest instead.");
                }

                RequireUnused(connection, volume, "shrink");
                if (size < info.AllocationBytes)
                {
                    throw new ImageException(
                        $"{volume.Name} occupies {ImageNames.Bytes(info.AllocationBytes)} on the host (preallocated), and libvirt cannot shrink a volume below what it occupies. Clone it into a smaller volume instead.",
                        ImageFailure.Conflict);
                }

                if (!confirmShrink)
                {
                    throw new ImageException(
                        $"Shrinking {volume.Name} from {ImageNames.Bytes(info.CapacityBytes)} to {ImageNames.Bytes(size)} destroys everything past {ImageNames.Bytes(size)}. Confirm to shrink.",
                        ImageFailure.Conflict);
                }

                flags = StorageVolumeResizeFlags.Shrink;
            }
            else
            {
                RequireFits(pool, size - info.CapacityBytes, preallocated: format == "raw");
            }

            volume.Resize(size, flags);
            return (pool.Uuid, volume.Path);
        });

    /// <summary>Overwrites the volume's data with zeros; refused while a guest uses it.</summary>
    public Task<string> WipeVolumeAsync(ClaimsPrincipal user, Guid hostId, string path) =>
        operations.RunLockedAsync(user, new("image.wipe", operations.VolumeTarget(hostId, path), "wipe volumes"), hostId, path, connection =>
        {
            using var volume = FindVolume(connection, path);
            using var pool = volume.GetPool();
            operations.Roots.RequireInside(pool, "wipe its volumes");
            RequireUnused(connection, volume, "wipe");
            volume.Wipe();
            return (pool.Uuid, volume.Path);
        });

    /// <summary>Deletes a volume no guest uses and no overlay needs.</summary>
    public Task<string> DeleteVolumeAsync(ClaimsPrincipal user, Guid hostId, string path) =>
        operations.RunLockedAsync(user, new("image.delete", operations.VolumeTarget(hostId, path), "delete volumes", path), hostId, path, connection =>
        {
            using var volume = FindVolume(connection, path);
            using var pool = volume.GetPool();
            operations.Roots.RequireInside(pool, "delete its volumes");
            RequireUnused(connection, volume, "delete");
            var overlays = OverlaysOf(connection, volume.Path);
            if (overlays.Count > 0)
            {
                throw new ImageException(
                    $"{volume.Name} is the backing file of {Names(overlays)}: they store only their differences from it and would lose their data. Delete or flatten them first.",
                    ImageFailure.Conflict);
            }

            volume.Delete();
            return (pool.Uuid, path);
        });
}

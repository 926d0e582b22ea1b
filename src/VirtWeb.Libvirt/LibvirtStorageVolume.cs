using VirtWeb.Libvirt.Interop;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt;

/// <summary>A storage volume (<c>virStorageVolPtr</c>). Dispose to drop the reference.</summary>
public sealed class LibvirtStorageVolume : IDisposable
{
    private const int DownloadBufferSize = 256 * 1024;

    // Each send becomes one libvirt message, and libvirtd reads each into a buffer of its own (payload plus a 28-byte
    // header), then copies the payload for its file-writing thread. At libvirt's 256 KiB maximum both buffers lie above
    // glibc's default 128 KiB mmap threshold: a freshly started daemon maps and faults in new memory for every message,
    // and virsh vol-upload crawls the same way. 124 KiB keeps both under it. Measured through the binding alone on a
    // fresh libvirtd (bench/VirtWeb.ImageBenchmarks pieces): 124 KiB 487 MiB/s with 30k page faults per GiB in libvirtd,
    // 128 KiB 380 with 68k, 256 KiB 261 with 142k. A daemon whose heap has settled takes 256 KiB messages faster, but
    // there the HTTP side, not libvirt, sets the pace of an upload through VirtWeb.
    private const int UploadPieceSize = 124 * 1024;

    private readonly CountedHandle<StorageVolumeHandle> _handle;
    private string? _name;
    private string? _key;

    internal LibvirtStorageVolume(LibvirtConnection connection, StorageVolumeHandle handle) => _handle = new(connection, handle);

    public LibvirtConnection Connection => _handle.Connection;

    internal StorageVolumeHandle Handle => _handle.Handle;

    public string Name => _name ??= NativeHelpers.BorrowString(Native.virStorageVolGetName(_handle.Counted));

    /// <summary>A host-wide unique key (the path for file volumes).</summary>
    public string Key => _key ??= NativeHelpers.BorrowString(Native.virStorageVolGetKey(_handle.Counted));

    public string Path => NativeHelpers.TakeString(Native.virStorageVolGetPath(_handle.Counted));

    public unsafe StorageVolumeInfo GetInfo()
    {
        VirStorageVolInfo info;
        NativeHelpers.Check(Native.virStorageVolGetInfo(_handle.Counted, &info));
        return new StorageVolumeInfo((StorageVolumeType)info.Type, info.Capacity, info.Allocation);
    }

    public string GetXml() => NativeHelpers.TakeString(Native.virStorageVolGetXMLDesc(_handle.Counted, 0));

    public StorageVolumeDefinition GetDefinition() => StorageVolumeDefinition.Parse(GetXml());

    public LibvirtStoragePool GetPool() => new(Connection, NativeHelpers.Check(Native.virStoragePoolLookupByVolume(_handle.Counted)));

    public void Delete(StorageVolumeDeleteFlags flags = StorageVolumeDeleteFlags.Normal) =>
        NativeHelpers.Check(Native.virStorageVolDelete(_handle.Counted, (uint)flags));

    /// <summary>Changes the virtual size; shrinking needs <see cref="StorageVolumeResizeFlags.Shrink"/>.</summary>
    public void Resize(ulong capacityBytes, StorageVolumeResizeFlags flags = StorageVolumeResizeFlags.None) =>
        NativeHelpers.Check(Native.virStorageVolResize(_handle.Counted, capacityBytes, (uint)flags));

    /// <summary>Overwrites the volume's data (zeros by default).</summary>
    public void Wipe(StorageVolumeWipeAlgorithm algorithm = StorageVolumeWipeAlgorithm.Zero) =>
        NativeHelpers.Check(algorithm == StorageVolumeWipeAlgorithm.Zero
            ? Native.virStorageVolWipe(_handle.Counted, 0)
            : Native.virStorageVolWipePattern(_handle.Counted, (uint)algorithm, 0));

    /// <summary>
    /// A writable stream into the volume starting at <paramref name="offset"/> (<paramref name="length"/> 0:
    /// up to the end). Call <see cref="LibvirtStream.Complete"/> after the last write; disposing without it
    /// aborts the transfer.
    /// </summary>
    public LibvirtStream OpenUpload(ulong offset = 0, ulong length = 0) => OpenStream(
        stream => NativeHelpers.Check(Native.virStorageVolUpload(_handle.Counted, stream, offset, length, 0)), canRead: false);

    /// <summary>A readable stream of the volume's bytes (the image file itself, e.g. qcow2 metadata included).</summary>
    public LibvirtStream OpenDownload(ulong offset = 0, ulong length = 0) => OpenStream(
        stream => NativeHelpers.Check(Native.virStorageVolDownload(_handle.Counted, stream, offset, length, 0)), canRead: true);

    /// <summary>
    /// Copies <paramref name="source"/> to the end into the volume, in full 124 KiB libvirt messages (each send blocks
    /// the calling thread). Reading the next piece while libvirt takes the last gained nothing measurable, so the copy
    /// is one plain loop. Cancellation (checked between pieces) or any failure aborts the libvirt stream.
    /// </summary>
    public async Task UploadAsync(Stream source, ulong offset = 0, ulong length = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var stream = OpenUpload(offset, length);
        var buffer = new byte[UploadPieceSize];
        try
        {
            int read;
            // A full buffer each time: a short read would make a short libvirt message.
            while ((read = await source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stream.Write(buffer, 0, read);
            }

            stream.Complete();
        }
        catch
        {
            stream.Abort();
            throw;
        }
    }

    /// <summary>
    /// Copies the volume into <paramref name="destination"/>; the counterpart of <see cref="UploadAsync"/>. libvirt fills
    /// one buffer while the destination writes the other.
    /// </summary>
    public async Task DownloadAsync(Stream destination, ulong offset = 0, ulong length = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var stream = OpenDownload(offset, length);
        byte[][] buffers = [new byte[DownloadBufferSize], new byte[DownloadBufferSize]];
        var next = 0;
        var writing = Task.CompletedTask;
        try
        {
            int read;
            while ((read = stream.Read(buffers[next], 0, DownloadBufferSize)) > 0)
            {
                await writing.ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                writing = destination.WriteAsync(buffers[next].AsMemory(0, read), cancellationToken).AsTask();
                next ^= 1;
            }

            await writing.ConfigureAwait(false);
        }
        catch
        {
            stream.Abort();
            await writing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => _name ?? "storage volume";

    /// <summary>A new stream that <paramref name="begin"/> ties to this volume; one way only.</summary>
    private LibvirtStream OpenStream(Action<StreamHandle> begin, bool canRead)
    {
        var stream = Connection.NewStream();
        try
        {
            begin(stream.Handle);
            stream.SetMode(canRead, canWrite: !canRead);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}

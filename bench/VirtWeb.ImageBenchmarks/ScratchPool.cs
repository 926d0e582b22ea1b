using VirtWeb.Libvirt;

namespace VirtWeb.ImageBenchmarks;

/// <summary>
/// A transient directory pool on qemu:///system in a fresh temp directory, with a file of random bytes beside it, for
/// the benches that talk to libvirt without the app. Disposing stops the pool (libvirt forgets it) and deletes it all.
/// </summary>
internal sealed class ScratchPool : IDisposable
{
    private readonly DirectoryInfo _work;
    private readonly LibvirtConnection _connection;

    private ScratchPool(DirectoryInfo work, LibvirtConnection connection, LibvirtStoragePool pool, string source)
    {
        _work = work;
        _connection = connection;
        Pool = pool;
        Source = source;
    }

    public LibvirtStoragePool Pool { get; }

    public string Name => Pool.Name;

    /// <summary>The file to upload, of the size asked for.</summary>
    public string Source { get; }

    public static async Task<ScratchPool> CreateAsync(string prefix, long size)
    {
        var work = Directory.CreateTempSubdirectory($"virtweb-{prefix}-");
        var connection = LibvirtConnection.Open("qemu:///system");
        var poolDirectory = work.CreateSubdirectory("pool");
        var pool = connection.CreateStoragePool(
            $"<pool type='dir'><name>{$"virtweb-{prefix}-{Guid.NewGuid():N}"[..26]}</name><target><path>{poolDirectory.FullName}</path></target></pool>");
        var source = Path.Combine(work.FullName, "source.raw");
        await TransferBench.WriteSourceAsync(source, size);
        return new ScratchPool(work, connection, pool, source);
    }

    public LibvirtStorageVolume CreateRawVolume(string name, long size) =>
        Pool.CreateVolume($"<volume><name>{name}</name><capacity>{size}</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>");

    public void Dispose()
    {
        try
        {
            Pool.Stop();
        }
        finally
        {
            Pool.Dispose();
            _connection.Dispose();
            _work.Delete(recursive: true);
        }
    }
}

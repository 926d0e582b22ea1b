using System.Globalization;
using System.Security;

namespace VirtWeb.IntegrationTests.Images;

/// <summary>
/// A small ext4 file system of its own (a sparse image, loop-mounted) under VirtWeb's default storage root, for the
/// disk-full tests. A loop device rather than a tmpfs: libvirtd may run in a mount namespace of its own (see the
/// README's Containers), and the machine's root mount is private, so a mount made here would not reach it; the same
/// block device mounted in both namespaces is one file system that both see. Named <c>vwfull-</c>; dispose unmounts
/// it in both and removes the image, whatever is left on it.
/// </summary>
public sealed class SmallFileSystem : IDisposable
{
    private readonly string _image;
    private readonly string _device;
    private readonly int? _libvirtdPid;

    private SmallFileSystem(string name, string mount, string image, string device, int? libvirtdPid)
    {
        Name = name;
        Mount = mount;
        _image = image;
        _device = device;
        _libvirtdPid = libvirtdPid;
    }

    /// <summary>The <c>vwfull-</c> name shared by the mount point and what the tests make on it.</summary>
    public string Name { get; }

    /// <summary>Where it is mounted (the same path inside libvirtd's namespace).</summary>
    public string Mount { get; }

    /// <summary>The file <see cref="FillLeaving"/> takes the space with, on the mount point.</summary>
    public const string FillerName = "vwfull-filler";

    private string Filler => Path.Combine(Mount, FillerName);

    public static SmallFileSystem Create(int mebibytes)
    {
        var name = $"vwfull-{Guid.NewGuid():N}"[..20];
        var mount = Path.Combine(PoolRootsOptions.DefaultRoot, name);
        var image = Path.Combine(Path.GetTempPath(), name + ".img");
        using (var file = File.Create(image))
        {
            file.SetLength(mebibytes * (1L << 20));
        }

        string? device = null;
        var pid = LibvirtdInOwnNamespace();
        try
        {
            // No journal and no reserved blocks: what df shows free is what a writer gets.
            QemuPool.Run("mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", image);
            device = QemuPool.Run("losetup", "-f", "--show", image).Trim();
            Directory.CreateDirectory(mount);
            QemuPool.Run("mount", device, mount);
            Directory.Delete(Path.Combine(mount, "lost+found"));
            QemuPool.Run("chmod", "755", mount);
            if (pid is { } libvirtd)
            {
                QemuPool.Run("nsenter", "-t", libvirtd.ToString(CultureInfo.InvariantCulture), "-m", "mount", device, mount);
            }

            return new SmallFileSystem(name, mount, image, device, pid);
        }
        catch
        {
            Remove(mount, image, device, pid);
            throw;
        }
    }

    /// <summary>A transient directory pool named <see cref="Name"/> on <paramref name="directory"/> (the mount point unless given).</summary>
    public LibvirtStoragePool CreatePool(LibvirtConnection connection, string? directory = null) =>
        connection.CreateStoragePool(
            $"<pool type='dir'><name>{Name}</name><target><path>{SecurityElement.Escape(directory ?? Mount)}</path></target></pool>");

    /// <summary>Bytes free now, as a writer sees them.</summary>
    public long FreeBytes => new DriveInfo(Mount).AvailableFreeSpace;

    /// <summary>
    /// Takes the free space but <paramref name="leaveBytes"/> with a file written behind libvirt's back (as another
    /// program on the host would), so libvirt's own figure for the pool is stale until it refreshes.
    /// </summary>
    public void FillLeaving(long leaveBytes)
    {
        var existing = File.Exists(Filler) ? new FileInfo(Filler).Length : 0;
        var take = Math.Max(FreeBytes - leaveBytes, 0);
        // The file's own extent blocks come out of the free space too: step back until it fits.
        for (var attempt = 0; ; attempt++, take = Math.Max(take - (64 << 10), 0))
        {
            try
            {
                QemuPool.Run("fallocate", "-l", (existing + take).ToString(CultureInfo.InvariantCulture), Filler);
                return;
            }
            catch (InvalidOperationException) when (attempt < 32 && take > 0)
            {
            }
        }
    }

    /// <summary>The files on it but the filler, relative to the mount, to prove nothing was left behind.</summary>
    public IReadOnlyList<string> Files(string? under = null) =>
        Directory.GetFiles(under ?? Mount, "*", SearchOption.AllDirectories)
            .Where(f => f != Filler).Select(f => Path.GetRelativePath(Mount, f)).Order(StringComparer.Ordinal).ToList();

    public void Dispose() => Remove(Mount, _image, _device, _libvirtdPid);

    private static void Remove(string mount, string image, string? device, int? pid)
    {
        if (pid is { } libvirtd && device is not null)
        {
            TryRun("nsenter", "-t", libvirtd.ToString(CultureInfo.InvariantCulture), "-m", "umount", "-l", mount);
        }

        if (device is not null)
        {
            TryRun("umount", "-l", mount);
            TryRun("losetup", "-d", device);
        }

        if (Directory.Exists(mount) && Directory.GetFileSystemEntries(mount).Length == 0)
        {
            Directory.Delete(mount);
        }

        File.Delete(image);
    }

    private static void TryRun(string file, params string[] arguments)
    {
        try
        {
            QemuPool.Run(file, arguments);
        }
        catch (InvalidOperationException)
        {
            // Not mounted (any more) there.
        }
    }

    /// <summary>libvirtd's pid when it runs in another mount namespace than this process, else null.</summary>
    private static int? LibvirtdInOwnNamespace()
    {
        // qemu:///system's daemon: the one listening on libvirt's system socket (other libvirtds may run privately).
        var own = ReadNamespace("self");
        var listening = QemuPool.Run("ss", "-xlpH", "src", "/run/libvirt/libvirt-sock");
        var match = System.Text.RegularExpressions.Regex.Match(listening, @"pid=(\d+)");
        return match.Success && ReadNamespace(match.Groups[1].Value) is { } theirs && theirs != own
            ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : null;
    }

    private static string? ReadNamespace(string pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}

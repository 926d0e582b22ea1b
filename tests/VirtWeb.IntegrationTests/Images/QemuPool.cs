using System.Diagnostics;
using System.Text.Json;

namespace VirtWeb.IntegrationTests.Images;

/// <summary>
/// A directory pool of its own on the machine's libvirtd (qemu:///system), in a fresh directory under VirtWeb's default
/// storage root, created through <see cref="PoolService"/> (by an Administrator of the host, as pools are) and removed
/// with everything in it on dispose. libvirtd runs as root and does the file work.
/// </summary>
public sealed class QemuPool : IAsyncDisposable
{
    private static readonly SemaphoreSlim HostGate = new(1, 1);
    private static readonly Dictionary<VirtWebFactory, Guid> Hosts = [];

    private readonly VirtWebFactory _factory;

    private QemuPool(VirtWebFactory factory, Guid hostId, string name, string directory)
    {
        _factory = factory;
        HostId = hostId;
        Name = name;
        Directory = directory;
    }

    public Guid HostId { get; }

    public string Name { get; }

    public string Directory { get; }

    public VolumeService Volumes => _factory.Services.GetRequiredService<VolumeService>();

    public VolumeTransfers Transfers => _factory.Services.GetRequiredService<VolumeTransfers>();

    public LibvirtConnection Connection => _factory.Services.GetRequiredService<IHostConnections>().GetConnection(HostId);

    public string PathOf(string volume) => System.IO.Path.Combine(Directory, volume);

    /// <summary>
    /// The files in the pool's directory as libvirt sees them after a refresh. libvirtd makes pool directories 0711,
    /// so a test running as the unprivileged VirtWeb user may open a file it names but not list the directory.
    /// </summary>
    public IReadOnlyList<string> ListVolumeNames()
    {
        using var pool = Connection.GetStoragePoolByName(Name);
        pool.Refresh();
        var volumes = pool.ListVolumes();
        try
        {
            return volumes.Select(v => v.Name).ToList();
        }
        finally
        {
            foreach (var volume in volumes)
            {
                volume.Dispose();
            }
        }
    }

    public static ClaimsPrincipal Operator { get; } = Principal(Roles.Operator, "ops1");

    /// <summary>Adds and removes pools: that is an Administrator's of the host.</summary>
    public static ClaimsPrincipal Administrator { get; } = Principal(Roles.Administrator, "root");

    /// <summary>A fresh directory under the default storage root, where pools may be made.</summary>
    public static string ScratchDirectory(string name) => System.IO.Path.Combine(PoolRootsOptions.DefaultRoot, name);

    public static ClaimsPrincipal Principal(string role, string name) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    public static async Task<QemuPool> CreateAsync(VirtWebFactory factory)
    {
        var hostId = await QemuHostAsync(factory);
        var name = $"virtweb-test-img-{Guid.NewGuid():N}"[..30];
        var directory = ScratchDirectory(name);
        await factory.Services.GetRequiredService<PoolService>().CreateDirectoryPoolAsync(Administrator, hostId, name, directory, autostart: false);
        return new QemuPool(factory, hostId, name, directory);
    }

    /// <summary>qemu:///system, added once per app under test (the factory does not add it by itself).</summary>
    public static async Task<Guid> QemuHostAsync(VirtWebFactory factory)
    {
        await HostGate.WaitAsync();
        try
        {
            if (!Hosts.TryGetValue(factory, out var hostId))
            {
                var admin = Principal(Roles.Administrator, "root");
                var host = await factory.WithScopeAsync(services =>
                    services.GetRequiredService<HostService>().AddAsync(admin, new HostInput(VirtWebFactory.UniqueUserName("qemu"), "qemu:///system")));
                hostId = host.Id;
                Hosts[factory] = hostId;
            }

            var store = factory.Services.GetRequiredService<VirtWeb.Live.LiveStateStore>();
            await Eventually.ValueAsync(
                () => store.Hosts.Find(hostId.ToString()), h => h.Connection == HostConnectionState.Connected,
                TimeSpan.FromSeconds(30), "qemu:///system connects (is libvirtd running?)");
            return hostId;
        }
        finally
        {
            HostGate.Release();
        }
    }

    /// <summary><c>qemu-img info --output=json</c> of a file.</summary>
    public static JsonElement QemuImgInfo(string path)
    {
        var output = Run("qemu-img", "info", "--output=json", "-U", path);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>Bytes the file takes on disk (<c>stat -c %b</c> blocks of <c>%B</c> bytes).</summary>
    public static long AllocatedBytes(string path)
    {
        var parts = Run("stat", "-c", "%b %B", path).Trim().Split(' ');
        return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {error}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.Run(() =>
            {
                var connection = Connection;
                using var pool = connection.GetStoragePoolByName(Name);
                if (pool.IsActive)
                {
                    // Overlays first, so no volume is deleted while another still names it as its backing file.
                    var volumes = pool.ListVolumes().OrderByDescending(v => v.GetDefinition().BackingStorePath is null ? 0 : 1).ToList();
                    foreach (var volume in volumes)
                    {
                        using (volume)
                        {
                            volume.Delete();
                        }
                    }

                    pool.Stop();
                }

                pool.Delete();
                pool.Undefine();
            });
        }
        finally
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
    }
}

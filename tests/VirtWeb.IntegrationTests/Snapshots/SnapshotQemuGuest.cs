using System.Security;
using System.Text.Json;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Snapshots;

/// <summary>
/// One tiny guest booted once for all of <see cref="SnapshotQemuTests"/>, under VirtWeb's storage roots with a
/// transient directory pool on its own directory, so that its disk and the overlays beside it are volumes VirtWeb may
/// use. Each test leaves it without snapshots; disposing removes what a failed test left, then the guest and the pool.
/// </summary>
public sealed class SnapshotQemuGuest : IAsyncLifetime
{
    public static readonly TimeSpan BootDeadline = TimeSpan.FromSeconds(120);

    private TinyGuest? _guest;
    private LibvirtStoragePool? _pool;

    internal TinyGuest Guest => _guest ?? throw new InvalidOperationException("the guest did not boot");

    public Guid Uuid => Guest.Domain.Uuid;

    public string DiskPath => Guest.DiskPath;

    internal GuestAgent Agent => Guest.Agent;

    public async Task InitializeAsync()
    {
        _guest = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwsnap", WorkParent = PoolRootsOptions.DefaultRoot }, BootDeadline);
        var name = $"vwsnap-pool-{Guid.NewGuid():N}"[..24];
        _pool = _guest.Domain.Connection.CreateStoragePool(
            $"<pool type='dir'><name>{name}</name><target><path>{SecurityElement.Escape(_guest.WorkDirectory)}</path></target></pool>");
    }

    /// <summary>Waits until the guest agent answers (after a revert the agent channel reconnects).</summary>
    public async Task WaitForAgentAsync(TimeSpan deadline)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await Agent.PingAsync(timeoutSeconds: 5);
                return;
            }
            catch (Exception) when (clock.Elapsed < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    /// <summary>The names <c>qemu-img snapshot -l</c> lists inside <paramref name="path"/> (read with -U while QEMU holds it).</summary>
    public static IReadOnlyList<string> InternalSnapshotsIn(string path)
    {
        var info = QemuPool.QemuImgInfo(path);
        return info.TryGetProperty("snapshots", out var list) ? list.EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToList() : [];
    }

    /// <summary>The VM SIZE <c>qemu-img snapshot -l</c> shows for snapshot <paramref name="name"/> in <paramref name="path"/>, in bytes (read with -U).</summary>
    public static ulong VmStateSizeIn(string path, string name) =>
        QemuPool.QemuImgInfo(path).GetProperty("snapshots").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).GetProperty("vm-state-size").GetUInt64();

    /// <summary><c>qemu-img info --backing-chain</c>: each file of the chain, top first.</summary>
    public static IReadOnlyList<string> BackingChainOf(string path)
    {
        var output = QemuPool.Run("qemu-img", "info", "--backing-chain", "--output=json", "-U", path);
        return JsonDocument.Parse(output).RootElement.EnumerateArray().Select(e => e.GetProperty("filename").GetString()!).ToList();
    }

    public async Task DisposeAsync()
    {
        if (_guest is { } guest)
        {
            // A failed test may have left snapshots; their metadata would stop the guest from being undefined.
            foreach (var snapshot in guest.Domain.ListSnapshots())
            {
                using (snapshot)
                {
                    snapshot.Delete(SnapshotDeleteFlags.MetadataOnly);
                }
            }

            await guest.DisposeAsync();
        }

        if (_pool is { } pool)
        {
            using (pool)
            {
                try
                {
                    pool.Stop();
                }
                catch (LibvirtException)
                {
                    // Gone with its directory already.
                }
            }
        }
    }
}

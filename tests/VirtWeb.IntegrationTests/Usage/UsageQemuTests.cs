using System.Text.Json.Nodes;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.TestGuest;
using VirtWeb.Usage;

namespace VirtWeb.IntegrationTests.Usage;

/// <summary>
/// Issue 18's acceptance on libvirtd + QEMU: the tiny guest burns CPU (a busy loop through the agent's guest-exec) and
/// writes to its disk; the numbers a guest page shows (the live usage of a watched guest) go over 50 % CPU with writes
/// above zero, and the CPU falls once the loop is killed.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class UsageQemuTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    /// <summary>The bound for the numbers to show the load.</summary>
    private static readonly TimeSpan LoadShows = TimeSpan.FromSeconds(15);

    protected override TimeSpan Deadline => TimeSpan.FromSeconds(90);

    [Fact]
    public async Task GuestBurnsCpuAndWrites_WatchedLikeOnItsPage_CpuOverHalfAndWritesAboveZeroThenCpuFalls()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        await using var guest = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwuse", WorkParent = PoolRootsOptions.DefaultRoot }, TimeSpan.FromSeconds(120));
        var key = VirtWeb.Guests.GuestState.KeyOf(hostId, guest.Domain.Uuid);
        var live = Service<UsageLive>();
        using var watching = Service<UsageWatch>().Watch(hostId, guest.Domain.Uuid); // what the guest page does
        await Eventually.ValueAsync(() => live.Guests.Find(key), u => u.CpuPercent is not null, Deadline, "the guest's first rates");

        // One busy loop per vCPU: the CPU % is of all the guest's vCPUs, and one loop fills one.
        var vcpus = Math.Max(1, Store.Guests.Find(key)?.Vcpus ?? 1);
        var burn = new List<long>();
        for (var i = 0; i < vcpus; i++)
        {
            burn.Add(await StartAsync(guest, "while :; do :; done"));
        }

        var write = await StartAsync(guest, "while :; do dd if=/dev/zero of=/sysroot/vwuse.bin bs=64k count=64 2>/dev/null; sync; done");
        try
        {
            var hot = await Eventually.ValueAsync(
                () => live.Guests.Find(key), u => u.CpuPercent > 50 && u.DiskWriteBytesPerSecond > 0, LoadShows, "CPU over 50 % and disk writes above zero");
            Assert.True(hot.CpuPercent > 50);
        }
        finally
        {
            await guest.Agent.ExecAsync("/bin/sh", ["-c", $"kill {string.Join(' ', burn)} {write}; rm -f /sysroot/vwuse.bin"]);
        }

        await Eventually.ValueAsync(() => live.Guests.Find(key), u => u.CpuPercent < 30, Deadline, "CPU falls once the loop is killed");
    }

    /// <summary>Starts a shell loop in the guest without waiting for it; returns its pid.</summary>
    private static async Task<long> StartAsync(TinyGuest guest, string script) =>
        (await guest.Agent.ExecuteAsync("guest-exec", new JsonObject { ["path"] = "/bin/sh", ["arg"] = new JsonArray("-c", script) })).GetProperty("pid").GetInt64();
}

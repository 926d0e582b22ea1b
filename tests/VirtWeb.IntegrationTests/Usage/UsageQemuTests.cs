using System.Text.Json.Nodes;
using VirtWeb.IntegrationTests.Api;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.TestGuest;
using VirtWeb.Usage;

namespace VirtWeb.IntegrationTests.Usage;

/// <summary>One tiny guest booted once for all of <see cref="UsageQemuTests"/>; each test leaves it idle.</summary>
public sealed class UsageQemuGuest : IAsyncLifetime
{
    private TinyGuest? _guest;

    internal TinyGuest Guest => _guest ?? throw new InvalidOperationException("the guest did not boot");

    public async Task InitializeAsync() =>
        _guest = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwuse", WorkParent = PoolRootsOptions.DefaultRoot }, TimeSpan.FromSeconds(120));

    public async Task DisposeAsync()
    {
        if (_guest is not null)
        {
            await _guest.DisposeAsync();
        }
    }
}

/// <summary>
/// Issue 18's acceptance on libvirtd + QEMU: the tiny guest burns CPU (a busy loop through the agent's guest-exec) and
/// writes to its disk; the numbers a guest page shows (the live usage of a watched guest) go over 50 % CPU with writes
/// above zero, and the CPU falls once the loop is killed. <c>/metrics</c> lists the same guest's series.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class UsageQemuTests(VirtWebFactory factory, UsageQemuGuest shared) : ApiTest(factory), IClassFixture<UsageQemuGuest>
{
    /// <summary>The issue's bound for the numbers to show the load.</summary>
    private static readonly TimeSpan LoadShows = TimeSpan.FromSeconds(15);

    protected override TimeSpan Deadline => TimeSpan.FromSeconds(90);

    [Fact]
    public async Task GuestBurnsCpuAndWrites_WatchedLikeOnItsPage_CpuOverHalfAndWritesAboveZeroThenCpuFalls()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var guest = shared.Guest;
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

    [Fact]
    public async Task Metrics_TinyGuestOnQemu_RefusedAnonymouslyAndWithATokenListsItsSeriesLabelledWithHostNameAndUuid()
    {
        var hostId = await QemuPool.QemuHostAsync(Factory);
        var guest = shared.Guest;
        var key = VirtWeb.Guests.GuestState.KeyOf(hostId, guest.Domain.Uuid);
        // The guest's first rates come with its second full round (or sooner, watched).
        using var watching = Service<UsageWatch>().Watch(hostId, guest.Domain.Uuid);
        await Eventually.ValueAsync(() => Service<UsageLive>().Guests.Find(key), u => u.CpuPercent is not null, Deadline, "the guest's first rates");
        var hostName = Store.Hosts.Find(hostId.ToString())!.Name;

        using var anonymous = Factory.CreateClient(new() { AllowAutoRedirect = false });
        var refused = await anonymous.GetAsync(UsageMetrics.Path);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.DoesNotContain(guest.Domain.Name, await refused.Content.ReadAsStringAsync());

        var user = await UserAsync("usageqemu", Roles.Viewer);
        using var client = await ClientAsync(user, AccessRole.Viewer, AccessPaths.Guest(hostId, guest.Domain.Uuid));
        var response = await client.GetAsync(UsageMetrics.Path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var labels = $"{{host=\"{hostName}\",guest=\"{guest.Domain.Name}\",uuid=\"{guest.Domain.Uuid}\"}}";
        foreach (var series in new[] { "virtweb_guest_cpu_percent", "virtweb_guest_memory_bytes", "virtweb_guest_disk_write_bytes_per_second" })
        {
            Assert.Contains($"{series}{labels} ", body);
        }

        Assert.Contains("virtweb_usage_sampling_enabled 1", body);
        // The token reaches this guest only, not its host's series.
        Assert.DoesNotContain("virtweb_host_cpu_percent{", body);
    }

    /// <summary>Starts a shell loop in the guest without waiting for it; returns its pid.</summary>
    private static async Task<long> StartAsync(TinyGuest guest, string script) =>
        (await guest.Agent.ExecuteAsync("guest-exec", new JsonObject { ["path"] = "/bin/sh", ["arg"] = new JsonArray("-c", script) })).GetProperty("pid").GetInt64();
}

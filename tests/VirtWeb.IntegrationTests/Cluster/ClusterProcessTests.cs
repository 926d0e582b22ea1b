using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using VirtWeb.Cluster;

namespace VirtWeb.IntegrationTests.Cluster;

/// <summary>
/// The app in this test process as one instance, with the default lease timings, on the test Redis. Given a
/// database and a prefix, several of these in one process are several instances of one cluster.
/// </summary>
public sealed class ClusterAppFactory(string instanceId, string? sharedConnectionString, string redisPrefix, string? redis = null) : VirtWebFactory
{
    public const string InstanceId = "vwc-app";

    public ClusterAppFactory() : this(InstanceId, null, TestRedis.NewPrefix())
    {
    }

    public string Instance => instanceId;

    public string RedisPrefix => redisPrefix;

    /// <summary>The database this instance uses: its own, or the cluster's.</summary>
    public string Database => sharedConnectionString ?? ConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (sharedConnectionString is not null)
        {
            builder.UseSetting(DataExtensions.ConnectionStringKey, sharedConnectionString);
        }

        builder.UseSetting("Cluster:Enabled", "true");
        builder.UseSetting("Cluster:InstanceId", instanceId);
        builder.UseSetting("Cluster:Redis", redis ?? TestRedis.ConnectionString);
        builder.UseSetting("Cluster:RedisPrefix", redisPrefix);
        // Several instances would each add the demo host on a first run; the test adds its hosts itself.
        builder.UseSetting("Hosts:AddDemoHost", "false");
    }
}

/// <summary>Two instances: the app in this process and the real executable in another, killed with SIGKILL.</summary>
public sealed class ClusterProcessTests : IAsyncLifetime
{
    private const string ChildId = "vwc-child";
    private static readonly TimeSpan Takeover = TimeSpan.FromSeconds(15);
    private readonly ClusterAppFactory _app = new();
    private readonly StringBuilder _childOutput = new();
    private Process? _child;

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync()
    {
        if (_child is { HasExited: false })
        {
            _child.Kill(entireProcessTree: true);
            await _child.WaitForExitAsync();
        }

        _child?.Dispose();
        await ((IAsyncLifetime)_app).DisposeAsync();
        await TestRedis.DeletePrefixAsync(_app.RedisPrefix);
    }

    [Fact]
    public async Task Cluster_OwnerProcessKilled_SurvivorOwnsEveryHostWithin15sAndVersionsRise()
    {
        var database = new ClusterDatabase(_app.ConnectionString);
        var hosts = await database.AddHostsAsync(4);
        var store = _app.Services.GetRequiredService<LiveStateStore>();
        var ownership = _app.Services.GetRequiredService<IHostOwnership>();
        StartChild();

        // Shared out: two hosts each, one unexpired lease per host, and this instance runs exactly its own.
        var leases = await EventuallyAsync(async () => await database.LeasesAsync(), rows =>
            rows.Count == 4 && rows.Count(r => r.Owner == ChildId) == 2 && rows.Count(r => r.Owner == ClusterAppFactory.InstanceId) == 2
            && rows.Where(r => r.Owner == ChildId).All(r => r.HighestVersion > 0), TimeSpan.FromSeconds(90), "each instance owns two hosts");
        var childHosts = leases.Where(r => r.Owner == ChildId).ToList();
        var ownHosts = leases.Where(r => r.Owner == ClusterAppFactory.InstanceId).Select(r => r.HostId).ToList();
        // Its own two from its supervisors, the child's two from the child through Redis.
        await EventuallyAsync(() => Task.FromResult(string.Join(", ", store.Hosts.Current(h => hosts.Contains(h.HostId)).Select(h => $"{h.HostId}: {h.Connection}"))),
            shown => store.Hosts.Current(h => hosts.Contains(h.HostId)).Count(h => h.Connection == HostConnectionState.Connected) == 4,
            Takeover, "this instance shows all four hosts connected");
        var bus = _app.Services.GetRequiredService<LiveBus>();
        Assert.All(childHosts, r => Assert.False(ownership.Owns(r.HostId)));
        Assert.All(childHosts, r => Assert.True(bus.Follows(r.HostId)));
        Assert.All(ownHosts, h => Assert.False(bus.Follows(h)));
        var childHighest = (await database.LeasesAsync()).Where(r => r.Owner == ChildId).Max(r => r.HighestVersion);

        _child!.Kill();
        await _child.WaitForExitAsync();

        var after = await EventuallyAsync(async () => await database.LeasesAsync(), rows =>
            rows.All(r => r.Owner == ClusterAppFactory.InstanceId) && hosts.All(ownership.Owns)
            && store.Hosts.Current(h => hosts.Contains(h.HostId)).Count(h => h.Connection == HostConnectionState.Connected) == 4,
            Takeover, "this instance owns and runs every host after the kill");
        foreach (var taken in childHosts)
        {
            var now = Assert.Single(after, r => r.HostId == taken.HostId);
            Assert.True(now.Epoch > taken.Epoch);
            // The new owner's versions for the host start above everything the killed owner had reported.
            Assert.True(store.Hosts.VersionOf(taken.HostId.ToString()) > childHighest,
                $"host {taken.HostId}: version {store.Hosts.VersionOf(taken.HostId.ToString())}, killed owner's highest {childHighest}");
        }
    }

    private void StartChild()
    {
        var start = new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "--urls", "http://127.0.0.1:0"])
        {
            WorkingDirectory = Path.GetDirectoryName(typeof(Program).Assembly.Location)!,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["ConnectionStrings__VirtWeb"] = _app.ConnectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Cluster__Enabled"] = "true";
        start.Environment["Cluster__InstanceId"] = ChildId;
        start.Environment["Cluster__Redis"] = TestRedis.ConnectionString;
        start.Environment["Cluster__RedisPrefix"] = _app.RedisPrefix;
        start.Environment["Hosts__AddDemoHost"] = "false";
        start.Environment["Hosts__AddLocalQemu"] = "false";
        start.Environment["Hosts__AddLocalLxc"] = "false";
        start.Environment["Bootstrap__AdminUserName"] = VirtWebFactory.AdminUserName;
        start.Environment["Bootstrap__AdminPassword"] = VirtWebFactory.AdminPassword;
        start.Environment.Remove(TestPostgres.EnvironmentVariable);
        _child = Process.Start(start)!;
        _child.OutputDataReceived += (_, e) => Record(e.Data);
        _child.ErrorDataReceived += (_, e) => Record(e.Data);
        _child.BeginOutputReadLine();
        _child.BeginErrorReadLine();
    }

    private void Record(string? line)
    {
        lock (_childOutput)
        {
            _childOutput.AppendLine(line);
        }
    }

    private async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan deadline, string what)
    {
        using var timeout = new CancellationTokenSource(deadline);
        T last = default!;
        while (true)
        {
            if (_child is { HasExited: true } child && child.ExitCode != 137 && child.ExitCode != -1 && what.Contains("each instance"))
            {
                throw new InvalidOperationException($"The second instance exited ({child.ExitCode}): {Output()}");
            }

            last = await read();
            if (done(last))
            {
                return last;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Within {deadline.TotalSeconds:0.#} s: {what}. Last seen: {last}. Second instance: {Output()}");
            }
        }
    }

    private string Output()
    {
        lock (_childOutput)
        {
            var text = _childOutput.ToString();
            return text.Length > 4000 ? text[^4000..] : text;
        }
    }
}

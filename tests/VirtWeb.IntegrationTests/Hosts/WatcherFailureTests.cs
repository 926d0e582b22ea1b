using System.Threading.Channels;
using Microsoft.AspNetCore.Hosting;

namespace VirtWeb.IntegrationTests.Hosts;

/// <summary>The app with one extra watcher that fails on every event batch.</summary>
public sealed class FailingWatcherFactory : VirtWebFactory
{
    public FailingWatcher Watcher { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IHostWatcher>(Watcher));
    }
}

public sealed class FailingWatcher : IHostWatcher
{
    private int _resyncs;

    public int Resyncs => Volatile.Read(ref _resyncs);

    public IEnumerable<IDisposable> Subscribe(LibvirtConnection connection, ChannelWriter<LibvirtEvent> events) => [];

    public Task ResyncAsync(WatchedHost host, long version, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _resyncs);
        return Task.CompletedTask;
    }

    public Task ApplyAsync(WatchedHost host, IReadOnlyList<LibvirtEvent> events, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("a watcher tripped over a race");

    public void Disconnected(Guid hostId, long version)
    {
    }

    public void Removed(Guid hostId, long version)
    {
    }
}

public sealed class WatcherFailureTests(FailingWatcherFactory factory) : IClassFixture<FailingWatcherFactory>
{
    [Fact]
    public async Task Supervisor_WatcherThrowsOnEvents_KeepsTheConnectionAndResyncsThatWatcher()
    {
        var world = TestWorlds.NewPath("watcher-failure");
        await File.WriteAllTextAsync(world,
            "<node><domain type='test'><name>w1</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain></node>");
        try
        {
            var admin = TestPrincipals.Administrator;
            var host = await factory.WithScopeAsync(s => s.GetRequiredService<HostService>().AddAsync(admin, new HostInput("own world", $"test://{world}")));
            var store = factory.Services.GetRequiredService<LiveStateStore>();
            var connected = await Eventually.ValueAsync(() => store.Hosts.Find(host.Id.ToString()), h => h.Connection == HostConnectionState.Connected, TimeSpan.FromSeconds(30), "the host connects");
            var resyncsBefore = factory.Watcher.Resyncs;

            // The supervisor's own connection: the test driver keeps one world per connection, so only it sees the event.
            using (var domain = factory.Services.GetRequiredService<IHostConnections>().GetConnection(host.Id).GetDomainByName("w1"))
            {
                domain.Suspend();
            }

            await Eventually.ValueAsync(() => store.GuestCountsOf(host.Id), c => c.Paused == 1, TimeSpan.FromSeconds(30), "the pause is counted");
            await Eventually.ValueAsync(() => factory.Watcher.Resyncs > resyncsBefore ? "resynced" : null, _ => true, TimeSpan.FromSeconds(30), "the failing watcher is resynced");
            var after = store.Hosts.Find(host.Id.ToString())!;
            Assert.Equal(HostConnectionState.Connected, after.Connection);
            Assert.Equal(connected.Since, after.Since);
        }
        finally
        {
            File.Delete(world);
        }
    }
}

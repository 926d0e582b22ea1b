using Microsoft.Extensions.Logging.Abstractions;

namespace VirtWeb.IntegrationTests.Guests;

/// <summary>
/// Patch before re-read, on a store and watcher of their own over a private test-driver world (nothing else writes to
/// them): a start or stop shows from the event itself, and the re-read after it finds nothing more to say.
/// </summary>
public sealed class GuestEventPatchTests : IDisposable
{
    private readonly LiveStateStore _store = new(TimeProvider.System);
    private readonly GuestWatcher _watcher;
    private readonly LibvirtConnection _connection = LibvirtConnection.Open($"test://{GuestWorld.WriteDefault()}");
    private readonly WatchedHost _host;

    public GuestEventPatchTests()
    {
        _watcher = new GuestWatcher(_store, new GuestTimeline(TimeProvider.System), TimeProvider.System, NullLogger<GuestWatcher>.Instance);
        _host = new WatchedHost(Guid.NewGuid(), "patching", _connection);
    }

    [Theory]
    [InlineData(GuestWorld.RunningUuid, DomainLifecycleEventType.Stopped, (int)DomainStoppedDetail.Destroyed, DomainState.Shutoff)]
    [InlineData(GuestWorld.ShutOffUuid, DomainLifecycleEventType.Started, (int)DomainStartedDetail.Booted, DomainState.Running)]
    public async Task Apply_StartOrStop_OneChangeFromTheEventAndTheRereadAgrees(string uuidText, DomainLifecycleEventType type, int detail, DomainState after)
    {
        var uuid = Guid.Parse(uuidText);
        var key = GuestState.KeyOf(_host.HostId, uuid);
        await _watcher.ResyncAsync(_host, _store.NextVersion(), CancellationToken.None);
        // Every change published to a subscriber passes its filter once: this one writes them down (and is never read).
        var published = new List<GuestState>();
        _ = _store.Guests.Subscribe(g =>
        {
            lock (published)
            {
                published.Add(g);
            }

            return true;
        });
        lock (published)
        {
            published.Clear();
        }

        using (var domain = _connection.GetDomainByUuid(uuid))
        {
            if (type == DomainLifecycleEventType.Stopped)
            {
                domain.Destroy();
            }
            else
            {
                domain.Start();
            }
        }

        var e = new DomainLifecycleEvent("guest", uuid, type, detail) { Sequence = _store.NextVersion() };
        await _watcher.ApplyAsync(_host, [e], CancellationToken.None);

        var change = Assert.Single(published);
        Assert.Equal(after, change.State);
        // What a full read says now is what the event already showed: the re-read was the empty second change.
        using var read = _connection.GetDomainByUuid(uuid);
        Assert.Equal(GuestReader.Read(_host, read, change, DateTimeOffset.UtcNow), _store.Guests.Find(key));
        Assert.Same(change, _store.Guests.Find(key));
    }

    public void Dispose() => _connection.Dispose();
}

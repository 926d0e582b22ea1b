namespace VirtWeb.Tests.Live;

/// <summary>What the several-instances bus relies on: the observer hears local writes only, in order, and a reset wins.</summary>
public sealed class LiveCollectionReplicationTests
{
    private sealed record Item(string Key, string Value);

    private static LiveCollection<Item> NewCollection() => new(item => item.Key, TimeSpan.Zero, TimeProvider.System);

    [Fact]
    public void Observer_LocalWrites_HeardInOrderWithVersions()
    {
        var items = NewCollection();
        var heard = new List<LiveWrite<Item>>();
        items.Observer = heard.Add;

        items.Upsert(new Item("h/vm1", "running"), 10);
        items.Update("h/vm1", i => i with { Value = "running, 10.0.0.5" });
        items.Upsert(new Item("h/vm1", "stale"), 5);
        items.Remove("h/vm1", 11);

        Assert.Equal(
            [("h/vm1", "running", 10L), ("h/vm1", "running, 10.0.0.5", 10L), ("h/vm1", (string?)null, 11L)],
            heard.Select(w => (w.Key, w.Item?.Value, w.Version)));
    }

    [Fact]
    public void ApplyRemote_OwnersWrite_StoredByVersionRuleAndNotHeard()
    {
        var items = NewCollection();
        var heard = new List<LiveWrite<Item>>();
        items.Observer = heard.Add;

        items.ApplyRemote("h/vm1", new Item("h/vm1", "running"), 10, keepTombstone: true);
        var older = items.ApplyRemote("h/vm1", new Item("h/vm1", "older"), 9, keepTombstone: true);

        Assert.False(older);
        Assert.Equal("running", items.Find("h/vm1")!.Value);
        Assert.Empty(heard);
    }

    [Fact]
    public void ResetRemote_LocalNewerVersionsAndStrayItems_SnapshotWins()
    {
        var items = NewCollection();
        items.Upsert(new Item("h/vm1", "written here at a higher version"), 100);
        items.Upsert(new Item("h/vm2", "not in the snapshot"), 1);
        items.Remove("h/vm3", 100);
        items.Upsert(new Item("other/vm1", "another host"), 1);

        items.ResetRemote("h", [("h/vm1", new Item("h/vm1", "owner's"), 50), ("h/vm3", new Item("h/vm3", "back"), 40)]);

        Assert.Equal(["h/vm1", "h/vm3", "other/vm1"], items.Current().Select(i => i.Key).Order());
        Assert.Equal("owner's", items.Find("h/vm1")!.Value);
        Assert.Equal(50, items.VersionOf("h/vm1"));
        Assert.Null(items.VersionOf("h/vm2"));
    }

    [Fact]
    public async Task ResetRemote_Subscriber_HearsTheDifference()
    {
        var items = NewCollection();
        items.Upsert(new Item("h/vm1", "a"), 1);
        items.Upsert(new Item("h/vm2", "gone"), 1);
        var subscription = items.Subscribe();
        await using var changes = subscription.Changes.GetAsyncEnumerator();

        items.ResetRemote("h", [("h/vm1", new Item("h/vm1", "b"), 2)]);

        Assert.True(await changes.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([("h/vm2", LiveChangeKind.Delete), ("h/vm1", LiveChangeKind.Upsert)], changes.Current.Select(c => (c.Key, c.Kind)));
    }

    [Fact]
    public void Entries_Prefix_IncludesTombstonesWithVersions()
    {
        var items = NewCollection();
        items.Upsert(new Item("h/vm1", "a"), 3);
        items.Remove("h/vm2", 4);
        items.Upsert(new Item("x/vm1", "a"), 5);

        var entries = items.Entries("h/");

        Assert.Equal([("h/vm1", "a", 3L), ("h/vm2", (string?)null, 4L)], entries.Select(e => (e.Key, e.Item?.Value, e.Version)).OrderBy(e => e.Key));
    }
}

namespace VirtWeb.Tests.Live;

public sealed class LiveCollectionTests
{
    private sealed record Item(string Key, string Value, string Group = "a");

    private static LiveCollection<Item> NewCollection(TimeSpan? batchWindow = null) =>
        new(item => item.Key, batchWindow ?? TimeSpan.Zero, TimeProvider.System);

    [Fact]
    public void Upsert_OlderVersionAfterNewer_IsIgnored()
    {
        var items = NewCollection();
        items.Upsert(new Item("vm1", "running"), version: 10);

        var stored = items.Upsert(new Item("vm1", "shut off (stale snapshot)"), version: 5);

        Assert.False(stored);
        Assert.Equal("running", items.Find("vm1")!.Value);
    }

    [Fact]
    public void Upsert_AfterNewerRemoval_DoesNotResurrect()
    {
        var items = NewCollection();
        items.Upsert(new Item("vm1", "running"), version: 1);
        items.Remove("vm1", version: 10);

        items.Upsert(new Item("vm1", "from an old listing"), version: 5);

        Assert.Null(items.Find("vm1"));
    }

    [Fact]
    public void Replace_ListingWithoutAnItem_RemovesItOnlyInScope()
    {
        var items = NewCollection();
        items.Upsert(new Item("a1", "x", "a"), 1);
        items.Upsert(new Item("a2", "x", "a"), 1);
        items.Upsert(new Item("b1", "x", "b"), 1);

        items.Replace([new Item("a1", "y", "a")], version: 2, inScope: i => i.Group == "a");

        Assert.Equal(["a1", "b1"], items.Current().Select(i => i.Key).Order());
        Assert.Equal("y", items.Find("a1")!.Value);
    }

    [Fact]
    public void Replace_ItemAddedByNewerEvent_IsKept()
    {
        var items = NewCollection();
        items.Upsert(new Item("a9", "defined by an event during the listing"), version: 7);

        items.Replace([], version: 5, inScope: _ => true);

        Assert.NotNull(items.Find("a9"));
    }

    [Fact]
    public async Task Subscribe_ThenChanges_DeliversSnapshotAndEveryLaterChange()
    {
        var items = NewCollection();
        items.Upsert(new Item("vm1", "running"), 1);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var subscription = items.Subscribe(cancellationToken: cancellation.Token);
        items.Upsert(new Item("vm2", "running"), 2);
        items.Remove("vm1", 3);

        Assert.Equal("vm1", Assert.Single(subscription.Snapshot).Key);
        var received = await CollectAsync(subscription, count: 2, cancellation.Token);
        Assert.Equal([(LiveChangeKind.Upsert, "vm2"), (LiveChangeKind.Delete, "vm1")], received.Select(c => (c.Kind, c.Key)));
    }

    [Fact]
    public async Task Subscribe_UpsertUpdateRemove_EachChangeCarriesTheVersionItWasStoredWith()
    {
        var items = NewCollection();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var subscription = items.Subscribe(cancellationToken: cancellation.Token);
        await using var changes = subscription.Changes.GetAsyncEnumerator(cancellation.Token);
        var versions = new List<long>();

        items.Upsert(new Item("vm1", "running"), 7);
        Assert.True(await changes.MoveNextAsync());
        versions.Add(Assert.Single(changes.Current).Version);
        // A side fact keeps the version of the state it was written on; a removal takes its own.
        items.Update("vm1", i => i with { Value = "running, with an address" });
        Assert.True(await changes.MoveNextAsync());
        versions.Add(Assert.Single(changes.Current).Version);
        items.Remove("vm1", 9);
        Assert.True(await changes.MoveNextAsync());
        versions.Add(Assert.Single(changes.Current).Version);

        Assert.Equal([7L, 7L, 9L], versions);
    }

    [Fact]
    public async Task Subscribe_Burst_ArrivesBatchedWithTheLatestStatePerKey()
    {
        var items = NewCollection(TimeSpan.FromMilliseconds(50));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var subscription = items.Subscribe(cancellationToken: cancellation.Token);

        for (var i = 0; i < 100; i++)
        {
            items.Upsert(new Item("vm1", $"state {i}"), i + 1);
        }

        await using var changes = subscription.Changes.GetAsyncEnumerator(cancellation.Token);
        Assert.True(await changes.MoveNextAsync());
        var last = changes.Current[^1];
        Assert.True(changes.Current.Count < 100);
        Assert.Single(changes.Current, c => c.Key == "vm1");
        Assert.Equal("state 99", last.Item!.Value);
    }

    [Fact]
    public async Task Subscribe_WithFilter_SeesOnlyMatchingItemsAndLeavingAsDelete()
    {
        var items = NewCollection();
        items.Upsert(new Item("a1", "x", "a"), 1);
        items.Upsert(new Item("b1", "x", "b"), 1);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var subscription = items.Subscribe(i => i.Group == "a", cancellation.Token);
        items.Upsert(new Item("a1", "moved", "b"), 2);

        Assert.Equal("a1", Assert.Single(subscription.Snapshot).Key);
        var change = Assert.Single(await CollectAsync(subscription, count: 1, cancellation.Token));
        Assert.Equal((LiveChangeKind.Delete, "a1"), (change.Kind, change.Key));
        Assert.Null(change.Item);
    }


    [Fact]
    public async Task Subscribe_WithFilter_HearsNothingOfItemsItNeverSaw()
    {
        var items = NewCollection();
        items.Upsert(new Item("a1", "x", "a"), 1);
        items.Upsert(new Item("b1", "x", "b"), 1);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var subscription = items.Subscribe(i => i.Group == "a", cancellation.Token);
        items.Upsert(new Item("b1", "changed", "b"), 2);
        items.Remove("b1", 3);
        items.Upsert(new Item("b2", "new", "b"), 4);
        items.Upsert(new Item("b2", "joins", "a"), 5);
        items.Remove("b2", 6);

        // Everything was written before the first read, so it arrives as one batch with the latest change per key.
        var change = Assert.Single(await CollectAsync(subscription, count: 1, cancellation.Token));
        Assert.Equal((LiveChangeKind.Delete, "b2"), (change.Kind, change.Key));
    }
    [Fact]
    public async Task Remove_WithoutTombstone_TheNextNewKeyIsNotTakenForOneTheSubscriberSaw()
    {
        var items = NewCollection();
        items.Upsert(new Item("a1", "x", "a"), 1);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var subscription = items.Subscribe(i => i.Group == "a", cancellation.Token);

        // b1 is stored where a1 was (its slot is free again); the subscriber never saw b1, so it hears nothing of it.
        items.Remove("a1", 2, keepTombstone: false);
        items.Upsert(new Item("b1", "x", "b"), 3);
        items.Upsert(new Item("b1", "changed", "b"), 4);
        items.Upsert(new Item("a2", "x", "a"), 5);

        var changes = await CollectAsync(subscription, count: 2, cancellation.Token);
        Assert.Equal([(LiveChangeKind.Delete, "a1"), (LiveChangeKind.Upsert, "a2")], changes.Select(c => (c.Kind, c.Key)));
    }

    [Fact]
    public async Task Refilter_WhatTheFilterDependsOnChanged_NewlyVisibleArriveAndHiddenLeave()
    {
        var items = NewCollection();
        items.Upsert(new Item("a1", "x", "a"), 1);
        items.Upsert(new Item("b1", "x", "b"), 1);
        var visibleGroups = new HashSet<string> { "a" };
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var subscription = items.Subscribe(i => visibleGroups.Contains(i.Group), cancellation.Token);

        visibleGroups.Clear();
        visibleGroups.Add("b");
        items.Refilter();

        Assert.Equal("a1", Assert.Single(subscription.Snapshot).Key);
        var changes = await CollectAsync(subscription, count: 2, cancellation.Token);
        Assert.Equal([(LiveChangeKind.Delete, "a1"), (LiveChangeKind.Upsert, "b1")], changes.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Kind, c.Key)));
    }

    [Fact]
    public async Task Subscribe_Cancelled_RemovesTheSubscriber()
    {
        var items = NewCollection();
        using var cancellation = new CancellationTokenSource();
        var subscription = items.Subscribe(cancellationToken: cancellation.Token);
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in subscription.Changes)
            {
            }
        });
        Assert.Equal(1, items.SubscriberCount);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, items.SubscriberCount);
    }

    private static async Task<List<LiveChange<Item>>> CollectAsync(LiveSubscription<Item> subscription, int count, CancellationToken cancellationToken)
    {
        var received = new List<LiveChange<Item>>();
        await foreach (var batch in subscription.Changes.WithCancellation(cancellationToken))
        {
            received.AddRange(batch);
            if (received.Count >= count)
            {
                break;
            }
        }

        return received;
    }
}

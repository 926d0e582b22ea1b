namespace VirtWeb.Libvirt.Tests;

public sealed class EventTests
{
    [Fact]
    public void EnsureStarted_CalledConcurrently_StartsOneLoopThread()
    {
        Parallel.For(0, 16, _ => LibvirtEventLoop.Instance.EnsureStarted());

        var threadId = LibvirtEventLoop.Instance.ThreadId;
        LibvirtEventLoop.Instance.EnsureStarted();

        Assert.True(LibvirtEventLoop.Instance.IsRunning);
        Assert.NotNull(threadId);
        Assert.Equal(threadId, LibvirtEventLoop.Instance.ThreadId);
    }

    [Fact]
    public async Task DomainLifecycle_StartSuspendResumeDestroy_DeliversEventsWithDetails()
    {
        using var connection = Fixtures.OpenWorld();
        var waiter = new EventWaiter();
        using var subscription = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, waiter.Writer);
        using var beta = connection.GetDomainByName("beta");

        beta.Start();
        var started = await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.Type == DomainLifecycleEventType.Started);
        beta.Suspend();
        var suspended = await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.Type == DomainLifecycleEventType.Suspended);
        beta.Resume();
        var resumed = await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.Type == DomainLifecycleEventType.Resumed);
        beta.Destroy();
        var stopped = await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.Type == DomainLifecycleEventType.Stopped);

        Assert.Equal(("beta", beta.Uuid), (started.DomainName, started.DomainUuid));
        Assert.Equal(DomainStartedDetail.Booted, started.Detail);
        Assert.Equal(DomainSuspendedDetail.Paused, suspended.Detail);
        Assert.Equal(DomainResumedDetail.Unpaused, resumed.Detail);
        Assert.Equal(DomainStoppedDetail.Destroyed, stopped.Detail);
        Assert.True(started.Sequence < suspended.Sequence && suspended.Sequence < resumed.Sequence && resumed.Sequence < stopped.Sequence);
    }

    [Fact]
    public async Task DomainLifecycle_DefineAndUndefine_DeliversDefinedAndUndefined()
    {
        using var connection = Fixtures.OpenWorld();
        var waiter = new EventWaiter();
        using var subscription = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, waiter.Writer);

        using var delta = connection.DefineDomain("<domain type='test'><name>delta</name><memory>65536</memory><os><type>hvm</type></os></domain>");
        var defined = await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.Type == DomainLifecycleEventType.Defined);
        delta.Undefine();
        var undefined = await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.Type == DomainLifecycleEventType.Undefined);

        Assert.Equal("delta", defined.DomainName);
        Assert.Equal(DomainDefinedDetail.Added, defined.Detail);
        Assert.Equal(DomainUndefinedDetail.Removed, undefined.Detail);
    }

    [Fact]
    public async Task SubscribeDomainEvents_SameKindTwice_BothSubscribersReceiveEveryEvent()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");
        using var sameAlpha = connection.GetDomainByName("alpha");
        var first = new EventWaiter();
        var second = new EventWaiter();
        var filtered = new EventWaiter();
        var filteredAgain = new EventWaiter();
        using var a = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, first.Writer);
        using var b = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, second.Writer);
        using var c = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, filtered.Writer, alpha);
        using var d = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, filteredAgain.Writer, sameAlpha);

        alpha.Suspend();

        foreach (var waiter in new[] { first, second, filtered, filteredAgain })
        {
            await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.Type == DomainLifecycleEventType.Suspended);
        }
    }

    [Fact]
    public async Task SubscribeDomainEvents_ForOneDomain_IgnoresOtherDomains()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");
        using var beta = connection.GetDomainByName("beta");
        var onlyBeta = new EventWaiter();
        var all = new EventWaiter();
        using var betaSubscription = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, onlyBeta.Writer, beta);
        using var allSubscription = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, all.Writer);

        alpha.Suspend();
        beta.Start();
        await all.WaitForAsync<DomainLifecycleEvent>(e => e.DomainName == "beta");

        // Events are dispatched in order on one thread, so the filtered subscriber has had its chance.
        var betaEvent = await onlyBeta.WaitForAsync<DomainLifecycleEvent>();
        Assert.Equal("beta", betaEvent.DomainName);
        Assert.DoesNotContain(onlyBeta.Drain(), e => e is DomainEvent { DomainName: "alpha" });
    }

    [Fact]
    public async Task Dispose_Subscription_StopsDelivery()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");
        var disposed = new EventWaiter();
        var control = new EventWaiter();
        var subscription = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, disposed.Writer);
        using var controlSubscription = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, control.Writer);

        subscription.Dispose();
        subscription.Dispose();
        alpha.Suspend();
        await control.WaitForAsync<DomainLifecycleEvent>(e => e.Type == DomainLifecycleEventType.Suspended);

        Assert.Empty(disposed.Drain());
    }

    [Fact]
    public async Task Handler_Throws_IsReportedAndLaterEventsStillArrive()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");
        var failures = new EventWaiter();
        var failure = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnFailure(Exception e) => failure.TrySetResult(e);
        LibvirtEventLoop.Instance.HandlerFailed += OnFailure;
        try
        {
            using var throwing = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, e =>
            {
                failures.Writer.TryWrite(e);
                throw new InvalidOperationException("handler bug");
            });

            alpha.Suspend();
            alpha.Resume();

            await failures.WaitForAsync<DomainLifecycleEvent>(e => e.Type == DomainLifecycleEventType.Resumed);
            var reported = await failure.Task.WaitAsync(EventWaiter.DefaultTimeout);
            Assert.Equal("handler bug", reported.Message);
        }
        finally
        {
            LibvirtEventLoop.Instance.HandlerFailed -= OnFailure;
        }
    }

    [Fact]
    public async Task Handler_RunsOnTheEventLoopThread()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");
        var thread = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, _ => thread.TrySetResult(Environment.CurrentManagedThreadId));

        alpha.Suspend();

        Assert.Equal(LibvirtEventLoop.Instance.ThreadId, await thread.Task.WaitAsync(EventWaiter.DefaultTimeout));
    }

    [Fact]
    public async Task StoragePoolEvents_DefineStartRefreshStopUndefine_DeliverLifecycleAndRefresh()
    {
        using var connection = Fixtures.OpenWorld();
        var waiter = new EventWaiter();
        using var lifecycle = connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Lifecycle, waiter.Writer);
        using var refresh = connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Refresh, waiter.Writer);

        using var pool = connection.DefineStoragePool("<pool type='dir'><name>scratch</name><target><path>/scratch</path></target></pool>");
        var defined = await waiter.WaitForAsync<StoragePoolLifecycleEvent>(e => e.Type == StoragePoolLifecycleEventType.Defined);
        pool.Start();
        await waiter.WaitForAsync<StoragePoolLifecycleEvent>(e => e.Type == StoragePoolLifecycleEventType.Started);
        pool.Refresh();
        var refreshed = await waiter.WaitForAsync<StoragePoolRefreshEvent>();
        pool.Stop();
        await waiter.WaitForAsync<StoragePoolLifecycleEvent>(e => e.Type == StoragePoolLifecycleEventType.Stopped);
        pool.Undefine();
        await waiter.WaitForAsync<StoragePoolLifecycleEvent>(e => e.Type == StoragePoolLifecycleEventType.Undefined);

        Assert.Equal(("scratch", pool.Uuid), (defined.PoolName, defined.PoolUuid));
        Assert.Equal("scratch", refreshed.PoolName);
    }

    [Fact]
    public async Task SubscribeStoragePoolEvents_ForOnePool_IgnoresOtherPools()
    {
        using var connection = Fixtures.OpenWorld();
        using var images = connection.GetStoragePoolByName("images");
        var onlyImages = new EventWaiter();
        var all = new EventWaiter();
        using var filtered = connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Refresh, onlyImages.Writer, images);
        using var unfiltered = connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Refresh, all.Writer);
        using var other = connection.CreateStoragePool("<pool type='dir'><name>other</name><target><path>/other</path></target></pool>");

        other.Refresh();
        images.Refresh();
        await all.WaitForAsync<StoragePoolRefreshEvent>(e => e.PoolName == "images");

        Assert.Equal("images", (await onlyImages.WaitForAsync<StoragePoolRefreshEvent>()).PoolName);
        Assert.DoesNotContain(onlyImages.Drain(), e => e is StoragePoolEvent { PoolName: "other" });
    }

    [Fact]
    public void DisposeConnection_WithLiveSubscriptions_DeregistersAndLaterSubscriptionDisposeIsHarmless()
    {
        var connection = Fixtures.OpenWorld();
        var domainSubscription = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, _ => { });
        var poolSubscription = connection.SubscribeStoragePoolEvents(StoragePoolEventKind.Lifecycle, _ => { });

        connection.Dispose();

        domainSubscription.Dispose();
        poolSubscription.Dispose();
        Assert.Throws<ObjectDisposedException>(() => connection.ListDomains());
    }

    [Fact]
    public void SubscribeDomainEvents_UnsupportedKind_Throws()
    {
        using var connection = Fixtures.OpenWorld();

        Assert.Throws<ArgumentOutOfRangeException>(() => connection.SubscribeDomainEvents((DomainEventKind)3, _ => { }));
    }
}

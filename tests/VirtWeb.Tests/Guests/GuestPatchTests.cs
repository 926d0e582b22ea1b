namespace VirtWeb.Tests.Guests;

public sealed class GuestPatchTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static readonly GuestState Running = new(
        Guid.NewGuid(), "alpha", Guid.NewGuid(), "web", DomainState.Running, "booted", 2, 262144, 262144, VirtualizationMode.Hybrid,
        GuestKind.VirtualMachine, true, true, false, true, Now.AddHours(-1), false, ["192.0.2.10"]);

    private static DomainLifecycleEvent Event(DomainLifecycleEventType type, Enum detail, long sequence = 1) =>
        new("web", Running.Uuid, type, Convert.ToInt32(detail, System.Globalization.CultureInfo.InvariantCulture)) { Sequence = sequence };

    [Fact]
    public void Apply_Destroyed_ShutOffWithTheReasonARereadWouldGive()
    {
        var patched = GuestPatch.Apply(Running, Event(DomainLifecycleEventType.Stopped, DomainStoppedDetail.Destroyed), Now)!;

        Assert.Equal(DomainState.Shutoff, patched.State);
        Assert.Equal(GuestText.Reason(new DomainStateInfo(DomainState.Shutoff, (int)DomainShutoffReason.Destroyed)), patched.Reason);
        Assert.Null(patched.RunningSince);
        Assert.Empty(patched.Addresses);
        Assert.False(patched.HasAgent);
        // What the event cannot know stays as it was, for the re-read to fill in.
        Assert.Equal((Running.Vcpus, Running.Autostart, Running.Persistent), (patched.Vcpus, patched.Autostart, patched.Persistent));
    }

    [Fact]
    public void Apply_Booted_RunningSinceTheEvent()
    {
        var off = Running with { State = DomainState.Shutoff, Reason = "forced off", RunningSince = null, Addresses = [] };

        var patched = GuestPatch.Apply(off, Event(DomainLifecycleEventType.Started, DomainStartedDetail.Booted), Now)!;

        Assert.Equal((DomainState.Running, "booted", Now, false), (patched.State, patched.Reason, patched.RunningSince, patched.UptimeIsLowerBound));
    }

    [Fact]
    public void Apply_SuspendedThenResumed_PausedByUserThenResumedWithUptimeKept()
    {
        var paused = GuestPatch.Apply(Running, Event(DomainLifecycleEventType.Suspended, DomainSuspendedDetail.Paused), Now)!;
        var resumed = GuestPatch.Apply(paused, Event(DomainLifecycleEventType.Resumed, DomainResumedDetail.Unpaused), Now)!;

        Assert.Equal((DomainState.Paused, "paused by user"), (paused.State, paused.Reason));
        Assert.Equal((DomainState.Running, "resumed", Running.RunningSince), (resumed.State, resumed.Reason, resumed.RunningSince));
        Assert.Equal(Running.Addresses, resumed.Addresses);
    }

    [Theory]
    [InlineData(DomainLifecycleEventType.Defined, (int)DomainDefinedDetail.Updated)]
    [InlineData(DomainLifecycleEventType.Shutdown, (int)DomainShutdownDetail.Guest)]
    public void Apply_EventThatImpliesNoState_LeavesItToTheReread(DomainLifecycleEventType type, int detail)
    {
        Assert.Null(GuestPatch.Apply(Running, new DomainLifecycleEvent("web", Running.Uuid, type, detail), Now));
    }

    [Fact]
    public void Store_PatchedRowThenAnOlderReread_KeepsThePatch()
    {
        var store = new LiveStateStore(TimeProvider.System);
        store.Guests.Upsert(Running, store.NextVersion());
        // A re-read takes its version before it asks libvirt; the destroy's event arrives while it is still reading.
        var reReadVersion = store.NextVersion();
        var destroyed = Event(DomainLifecycleEventType.Stopped, DomainStoppedDetail.Destroyed, store.NextVersion());
        store.Guests.Upsert(GuestPatch.Apply(Running, destroyed, Now)!, destroyed.Sequence);

        var stored = store.Guests.Upsert(Running with { Reason = "read before the destroy" }, reReadVersion);

        Assert.False(stored);
        Assert.Equal(DomainState.Shutoff, store.Guests.Find(Running.Key)!.State);
    }
}

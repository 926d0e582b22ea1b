namespace VirtWeb.IntegrationTests.Degraded;

/// <summary>
/// The binding alone against a frozen libvirtd of the test's own (<see cref="PrivateLibvirtd"/>; SIGSTOP, always
/// SIGCONT): several threads calling one connection when libvirt gives up on it for missed keepalives. This is what
/// killed the test host with SIGSEGV before calls on one connection were serialized (see GatedCall in the binding).
/// </summary>
public sealed class FrozenDaemonConnectionTests
{
    [Fact]
    public async Task Connection_DaemonFrozenUnderConcurrentCalls_ClosesOnKeepaliveAndEveryCallFailsWhileFrozen()
    {
        using var daemon = PrivateLibvirtd.Start();
        using var connection = LibvirtConnection.Open(daemon.Uri);
        var closed = new TaskCompletionSource<ConnectionClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += (_, e) => closed.TrySetResult(e);
        Assert.True(connection.SetKeepAlive(intervalSeconds: 2, count: 3));
        using var lifecycle = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, _ => { });

        ConnectionClosedEventArgs args;
        Exception?[] failures;
        daemon.Freeze();
        try
        {
            var calls = Enumerable.Range(0, 3).Select(_ => Task.Run(() => Record.Exception(() => connection.ListDomains()))).ToArray();

            // libvirt gives up after about 2 s x (3 + 1). Before the fix the close was not raised while the daemon stayed
            // frozen (a second queued call kept the dead connection's I/O loop running), and on the thaw that loop ran a
            // socket watch left behind by the failed first call, whose data pointed into that call's finished stack frame.
            args = await closed.Task.WaitAsync(TimeSpan.FromSeconds(12));
            failures = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            daemon.Thaw();
        }

        Assert.Equal(ConnectionCloseReason.Keepalive, args.Reason);
        Assert.All(failures, failure => Assert.IsType<LibvirtException>(failure));
        Assert.False(connection.IsAlive);

        // The thawed daemon answers a new connection, and this process is still here to ask.
        using var again = LibvirtConnection.Open(daemon.Uri);
        Assert.True(again.IsAlive);
    }
}

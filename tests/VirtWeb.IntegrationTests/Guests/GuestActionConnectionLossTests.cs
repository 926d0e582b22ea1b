namespace VirtWeb.IntegrationTests.Guests;

/// <summary>
/// An action whose host connection goes away while it runs (here: the host is removed, which disposes the connection
/// the action holds, as the supervisor does when libvirtd dies) reports the host connection lost, audited, however
/// the dead connection shows itself, and a clean-up step that meets the dead connection does not replace that error.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class GuestActionConnectionLossTests(VirtWebFactory factory) : GuestTest(factory)
{
    [Fact]
    public async Task RunAsync_ConnectionDisposedUnderTheAction_ReportsTheConnectionLostAndCleanupDoesNotReplaceIt()
    {
        var hostId = await AddPrivateHostAsync();
        var operatorName = VirtWebFactory.UniqueUserName("op");
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cleanedUp = false;
        var run = Service<GuestActionLock>().RunAsync(GuestWorld.Principal(Roles.Operator, operatorName), hostId, Web, "Snapshot", "snapshot.create",
            async (host, domain) =>
            {
                inside.SetResult();
                await removed.Task;
                try
                {
                    return $"{host.Connection.ListDomains().Count} guests";
                }
                finally
                {
                    ConnectionLoss.Quietly(host.Connection, () =>
                    {
                        cleanedUp = true;
                        host.Connection.GetStoragePoolByName("images").Dispose();
                    });
                }
            }, CancellationToken.None);
        await inside.Task.WaitAsync(Deadline);
        await WithScopeAsync(async services =>
        {
            await services.GetRequiredService<HostService>().RemoveAsync(GuestWorld.Admin, hostId);
            return true;
        });
        removed.SetResult();

        var error = await Assert.ThrowsAsync<GuestActionException>(() => run.WaitAsync(Deadline));

        Assert.True(cleanedUp, "the clean-up step ran");
        var lost = Assert.IsType<HostUnavailableException>(error.InnerException);
        Assert.IsType<ObjectDisposedException>(lost.InnerException);
        Assert.Contains("was lost while it ran", error.Message, StringComparison.Ordinal);
        var row = Assert.Single(await AuditRowsAsync(r => r.UserName == operatorName));
        Assert.Equal(("snapshot.create", AuditOutcome.Failure, error.Message), (row.Action, row.Outcome, row.Detail));
        Assert.False(Service<GuestActionLock>().IsBusy(GuestState.KeyOf(hostId, Web)), "the guest's lock is free again");
    }

    [Fact]
    public void ConnectionLoss_LiveConnection_NotLostAndItsCleanupErrorsStayVisible()
    {
        using var connection = LibvirtConnection.Open("test:///default");

        Assert.False(ConnectionLoss.IsLost(connection));
        Assert.Throws<LibvirtException>(() => ConnectionLoss.Quietly(connection, () => connection.GetStoragePoolByName("vwfull-none").Dispose()));
        connection.Dispose();
        Assert.True(ConnectionLoss.IsLost(connection));
        Assert.True(ConnectionLoss.Caused(new ObjectDisposedException("SafeHandle"), connection));
    }
}

namespace VirtWeb.IntegrationTests.Guests;

[Collection(AppCollection.Name)]
public sealed class GuestAuditTests(VirtWebFactory factory) : GuestTest(factory)
{
    [Fact]
    public async Task Actions_SuccessDenialAndLibvirtFailure_EachWriteOneRow()
    {
        var hostId = await AddPrivateHostAsync();
        var operatorName = VirtWebFactory.UniqueUserName("op");
        var viewerName = VirtWebFactory.UniqueUserName("view");

        await Guests.RunAsync(GuestWorld.Principal(Roles.Operator, operatorName), hostId, Db, GuestAction.Start);
        await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.RunAsync(GuestWorld.Principal(Roles.Viewer, viewerName), hostId, Web, GuestAction.ForceOff));
        var refused = await Assert.ThrowsAsync<GuestActionException>(() =>
            Guests.RunAsync(GuestWorld.Principal(Roles.Operator, operatorName), hostId, Web, GuestAction.Resume));

        var rows = await RowsAsync(operatorName, viewerName);
        Assert.Equal(
            [
                (operatorName, "guest.start", AccessPaths.Guest(hostId, Db), AuditOutcome.Success),
                (viewerName, "guest.forceoff", AccessPaths.Guest(hostId, Web), AuditOutcome.Denied),
                (operatorName, "guest.resume", AccessPaths.Guest(hostId, Web), AuditOutcome.Failure),
            ],
            rows.Select(r => (r.UserName, r.Action, r.Target, r.Outcome)));
        Assert.Contains("not paused", rows[2].Detail);
        Assert.Equal(refused.Message, rows[2].Detail);
        Assert.Contains("Only an Operator or Administrator may force off a guest", rows[1].Detail);
    }

    [Fact]
    public async Task DeleteEditAndCreate_AreAuditedWithTheirOutcome()
    {
        var hostId = await AddPrivateHostAsync();
        var adminName = VirtWebFactory.UniqueUserName("adm");
        var admin = GuestWorld.Principal(Roles.Administrator, adminName);

        await Assert.ThrowsAsync<GuestActionException>(() => Guests.UpdateXmlAsync(admin, hostId, Db, "<domain"));
        await Assert.ThrowsAsync<GuestActionException>(() => Creation.CreateAsync(admin, new GuestCreateInput(hostId, "../etc", Disk: GuestDiskChoice.None)));
        await Guests.DeleteAsync(admin, hostId, Db, "db", deleteDisks: false);

        var rows = await RowsAsync(adminName);
        Assert.Equal(
            [
                ("guest.xml.edit", AccessPaths.Guest(hostId, Db), AuditOutcome.Failure),
                ("guest.create", AccessPaths.Guests(hostId), AuditOutcome.Failure),
                ("guest.delete", AccessPaths.Guest(hostId, Db), AuditOutcome.Success),
            ],
            rows.Select(r => (r.Action, r.Target, r.Outcome)));
        Assert.Contains("does not parse", rows[0].Detail);
        Assert.StartsWith("../etc: ", rows[1].Detail);
    }

    private Task<List<AuditRecord>> RowsAsync(params string[] userNames) => AuditRowsAsync(r => userNames.Contains(r.UserName));
}

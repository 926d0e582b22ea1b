using VirtWeb.Snapshots;

namespace VirtWeb.IntegrationTests.Snapshots;

/// <summary>Snapshots through <see cref="SnapshotService"/> on private test-driver worlds (libvirt keeps their metadata in process).</summary>
[Collection(AppCollection.Name)]
public sealed class SnapshotServiceTests(VirtWebFactory factory) : GuestTest(factory)
{
    private static ClaimsPrincipal Operator => GuestWorld.Principal(Roles.Operator, "olga");

    private SnapshotService Snapshots => Service<SnapshotService>();

    private Task<Guid> AddHostAsync() => GuestWorld.AddPrivateHostAsync(Factory, SnapshotWorld.Write());

    private Task<GuestActionResult> TakeAsync(Guid hostId, Guid uuid, string name, bool withMemory = true) =>
        Snapshots.CreateAsync(Operator, hostId, uuid, new SnapshotCreateInput(name, $"about {name}", SnapshotKind.Internal, withMemory));

    [Fact]
    public async Task Create_ThreeLevels_TreeHasParentsCurrentAndModes()
    {
        var hostId = await AddHostAsync();

        var first = await TakeAsync(hostId, SnapshotWorld.Web, "root");
        await TakeAsync(hostId, SnapshotWorld.Web, "middle");
        await TakeAsync(hostId, SnapshotWorld.Web, "leaf");
        var tree = await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Web);

        Assert.True(first.Done, first.Message);
        Assert.Contains("with memory", first.Message, StringComparison.Ordinal);
        Assert.Equal(["root", "middle", "leaf"], tree.Walk().Select(w => w.Snapshot.Name));
        Assert.Equal([0, 1, 2], tree.Walk().Select(w => w.Depth));
        Assert.Equal("leaf", tree.Current?.Name);
        Assert.Equal("middle", tree.Find("leaf")!.Parent);
        Assert.All(tree.Snapshots, s => Assert.Equal(SnapshotMode.RunningWithMemory, s.Mode));
        Assert.All(tree.Snapshots, s => Assert.Equal(SnapshotKind.Internal, s.Kind));
        Assert.Equal("about root", tree.Find("root")!.Description);
        Assert.Equal(256UL << 20, tree.Find("root")!.MemoryBytes);
        var audit = await AuditRowsAsync(r => r.Action == "snapshot.create" && r.Target == AccessPaths.Guest(hostId, SnapshotWorld.Web));
        Assert.Equal(3, audit.Count(r => r.Outcome == AuditOutcome.Success));
    }

    [Fact]
    public async Task DeleteMiddle_ThreeLevels_ChildHangsFromTheRoot()
    {
        var hostId = await AddHostAsync();
        await TakeAsync(hostId, SnapshotWorld.Db, "root");
        await TakeAsync(hostId, SnapshotWorld.Db, "middle");
        await TakeAsync(hostId, SnapshotWorld.Db, "leaf");

        var result = await Snapshots.DeleteAsync(Operator, hostId, SnapshotWorld.Db, "middle", withDescendants: false);
        var tree = await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Db);

        Assert.True(result.Done, result.Message);
        Assert.Equal(["root", "leaf"], tree.Snapshots.Select(s => s.Name).Order(StringComparer.Ordinal).Reverse());
        Assert.Equal("root", tree.Find("leaf")!.Parent);
        Assert.All(tree.Snapshots, s => Assert.Equal(SnapshotMode.ShutOff, s.Mode));
    }

    [Fact]
    public async Task DeleteWithDescendants_RemovesTheSubtreeOnly()
    {
        var hostId = await AddHostAsync();
        await TakeAsync(hostId, SnapshotWorld.Db, "root");
        await TakeAsync(hostId, SnapshotWorld.Db, "middle");
        await TakeAsync(hostId, SnapshotWorld.Db, "leaf");

        var result = await Snapshots.DeleteAsync(Operator, hostId, SnapshotWorld.Db, "middle", withDescendants: true);

        Assert.Contains("the 1 below it", result.Message, StringComparison.Ordinal);
        Assert.Equal(["root"], (await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Db)).Snapshots.Select(s => s.Name));
    }

    [Fact]
    public async Task Revert_WithSafetySnapshot_KeepsThePresentAsAChildOfTheOldCurrent()
    {
        var hostId = await AddHostAsync();
        await TakeAsync(hostId, SnapshotWorld.Web, "first");
        await TakeAsync(hostId, SnapshotWorld.Web, "second");

        var result = await Snapshots.RevertAsync(Operator, hostId, SnapshotWorld.Web, "first", safetySnapshot: true);
        var tree = await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Web);

        Assert.True(result.Done, result.Message);
        var safety = Assert.Single(tree.Snapshots, s => s.Name.StartsWith("before-first-", StringComparison.Ordinal));
        Assert.Contains(safety.Name, result.Message, StringComparison.Ordinal);
        Assert.Equal("second", safety.Parent);
        Assert.Equal(SnapshotMode.RunningWithMemory, safety.Mode);
        Assert.Equal("first", tree.Current?.Name);

        var back = await Snapshots.RevertAsync(Operator, hostId, SnapshotWorld.Web, safety.Name, safetySnapshot: false);
        Assert.True(back.Done, back.Message);
        Assert.Equal(safety.Name, (await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Web)).Current?.Name);
        Assert.Equal(3, (await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Web)).Snapshots.Count);
    }

    [Theory]
    [InlineData("a/b", "'/'")]
    [InlineData("..", "'..'")]
    [InlineData("x\0y", "NUL")]
    [InlineData("", "Give the snapshot a name")]
    public async Task Create_BadName_RefusedWithTheReasonAndNothingMade(string name, string expected)
    {
        var hostId = await AddHostAsync();

        var refused = await Assert.ThrowsAsync<GuestActionException>(() => TakeAsync(hostId, SnapshotWorld.Web, name));

        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        Assert.Empty((await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Web)).Snapshots);
        Assert.Single(await AuditRowsAsync(r => r.Action == "snapshot.create" && r.Target == AccessPaths.Guest(hostId, SnapshotWorld.Web) && r.Outcome == AuditOutcome.Failure));
    }

    [Fact]
    public async Task Create_NameOf300CharactersOrTaken_Refused()
    {
        var hostId = await AddHostAsync();
        await TakeAsync(hostId, SnapshotWorld.Web, "taken");

        var tooLong = await Assert.ThrowsAsync<GuestActionException>(() => TakeAsync(hostId, SnapshotWorld.Web, new string('n', 300)));
        var taken = await Assert.ThrowsAsync<GuestActionException>(() => TakeAsync(hostId, SnapshotWorld.Web, "taken"));

        Assert.Contains("300 characters", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("already has a snapshot named taken", taken.Message, StringComparison.Ordinal);
        Assert.Equal(["taken"], (await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Web)).Snapshots.Select(s => s.Name));
    }

    [Fact]
    public async Task Create_MemorySnapshotPoolFull_RefusedByTheEstimateAndNothingMade()
    {
        var hostId = await AddHostAsync();
        var input = new SnapshotCreateInput("big", null, SnapshotKind.Internal, WithMemory: true);

        var cost = await Snapshots.ReadCostAsync(Operator, hostId, SnapshotWorld.Huge, input);
        Assert.False(cost.Fits, $"{cost.PoolName} {cost.PoolAvailableBytes} {cost.EstimateBytes} {cost.Refusal}");
        var refused = await Assert.ThrowsAsync<GuestActionException>(() => Snapshots.CreateAsync(Operator, hostId, SnapshotWorld.Huge, input));

        Assert.Equal("images", cost.PoolName);
        Assert.True(cost.EstimateBytes >= 200UL << 30, $"{cost.EstimateBytes}");
        Assert.Contains("Pool images has 100 GiB free", refused.Message, StringComparison.Ordinal);
        Assert.Contains("memory", refused.Message, StringComparison.Ordinal);
        Assert.Empty((await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Huge)).Snapshots);
        Assert.Equal(5, DomainAndVolumeCount(hostId).Volumes);
    }

    [Fact]
    public async Task Create_InternalOfRawDiskOrPflash_RefusedOfferingExternal()
    {
        var hostId = await AddHostAsync();

        var raw = await Assert.ThrowsAsync<GuestActionException>(() => TakeAsync(hostId, SnapshotWorld.Flat, "s"));
        var efi = await Assert.ThrowsAsync<GuestActionException>(() => TakeAsync(hostId, SnapshotWorld.Efi, "s", withMemory: false));
        var rawCost = await Snapshots.ReadCostAsync(Operator, hostId, SnapshotWorld.Flat, new SnapshotCreateInput("s", null, SnapshotKind.Internal, true));

        Assert.Contains("disk vda is raw", raw.Message, StringComparison.Ordinal);
        Assert.Contains("external snapshot", raw.Message, StringComparison.Ordinal);
        Assert.Contains("pflash", efi.Message, StringComparison.Ordinal);
        Assert.Contains("external snapshot", efi.Message, StringComparison.Ordinal);
        Assert.Equal([SnapshotKind.External], rawCost.KindsPossible);
    }

    [Fact]
    public async Task Create_InternalDiskOnlyOfRunningGuest_RefusedSayingWhatWorks()
    {
        var hostId = await AddHostAsync();

        var refused = await Assert.ThrowsAsync<GuestActionException>(() => TakeAsync(hostId, SnapshotWorld.Web, "disk", withMemory: false));

        Assert.Contains("always includes its memory", refused.Message, StringComparison.Ordinal);
        Assert.Contains("external disk-only", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revert_DeletedSnapshot_RefusedNamingIt()
    {
        var hostId = await AddHostAsync();
        await TakeAsync(hostId, SnapshotWorld.Web, "gone");
        await Snapshots.DeleteAsync(Operator, hostId, SnapshotWorld.Web, "gone", withDescendants: false);

        var refused = await Assert.ThrowsAsync<GuestActionException>(() => Snapshots.RevertAsync(Operator, hostId, SnapshotWorld.Web, "gone", safetySnapshot: true));

        Assert.Contains("no snapshot named 'gone'", refused.Message, StringComparison.Ordinal);
        Assert.Empty((await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Web)).Snapshots);
    }

    [Fact]
    public async Task Delete_TwoOperatorsAtOnce_DeletedOnceTheOtherToldWhy()
    {
        var hostId = await AddHostAsync();
        await TakeAsync(hostId, SnapshotWorld.Web, "keep");
        await TakeAsync(hostId, SnapshotWorld.Web, "contested");
        var other = GuestWorld.Principal(Roles.Operator, "otto");

        var outcomes = await Task.WhenAll(
            Outcome(() => Snapshots.DeleteAsync(Operator, hostId, SnapshotWorld.Web, "contested", withDescendants: false)),
            Outcome(() => Snapshots.DeleteAsync(other, hostId, SnapshotWorld.Web, "contested", withDescendants: false)));

        Assert.Single(outcomes, o => o.StartsWith("done", StringComparison.Ordinal));
        Assert.Single(outcomes, o => o.Contains("still running", StringComparison.Ordinal) || o.Contains("no snapshot named 'contested'", StringComparison.Ordinal));
        Assert.Equal(["keep"], (await Snapshots.ReadTreeAsync(Operator, hostId, SnapshotWorld.Web)).Snapshots.Select(s => s.Name));
    }

    [Fact]
    public async Task Compare_AfterAnXmlEdit_ShowsTheChangedLines()
    {
        var hostId = await AddHostAsync();
        await TakeAsync(hostId, SnapshotWorld.Db, "before-edit");
        var xml = Connection(hostId).GetDomainByUuid(SnapshotWorld.Db).GetXml(DomainXmlFlags.Inactive).Replace("<vcpu placement='static'>1</vcpu>", "<vcpu placement='static'>2</vcpu>", StringComparison.Ordinal);
        await Service<GuestService>().UpdateXmlAsync(GuestWorld.Admin, hostId, SnapshotWorld.Db, xml);

        var comparison = await Snapshots.ReadComparisonAsync(Operator, hostId, SnapshotWorld.Db, "before-edit");

        Assert.Contains(comparison.Lines, l => l.Kind == DiffKind.Removed && l.Text.Contains(">1</vcpu>", StringComparison.Ordinal));
        Assert.Contains(comparison.Lines, l => l.Kind == DiffKind.Added && l.Text.Contains(">2</vcpu>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_TwoPages_BothSeeCreateAndDeleteWithoutAReload()
    {
        var hostId = await AddHostAsync();
        using var stop = new CancellationTokenSource(Deadline);
        await using var first = Snapshots.WatchAsync(Operator, hostId, SnapshotWorld.Web, stop.Token).GetAsyncEnumerator(stop.Token);
        await using var second = Snapshots.WatchAsync(GuestWorld.Principal(Roles.Viewer, "vic"), hostId, SnapshotWorld.Web, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await first.MoveNextAsync());
        Assert.True(await second.MoveNextAsync());
        Assert.Empty(first.Current.Snapshots);

        await TakeAsync(hostId, SnapshotWorld.Web, "live");

        Assert.Equal(["live"], (await NextWhere(first, t => t.Snapshots.Count == 1)).Snapshots.Select(s => s.Name));
        Assert.Equal(["live"], (await NextWhere(second, t => t.Snapshots.Count == 1)).Snapshots.Select(s => s.Name));
        await Snapshots.DeleteAsync(Operator, hostId, SnapshotWorld.Web, "live", withDescendants: false);
        await NextWhere(first, t => t.Snapshots.Count == 0);
        await NextWhere(second, t => t.Snapshots.Count == 0);
    }

    [Fact]
    public async Task DeleteGuest_WithSnapshots_RefusedWithoutDisksDeletedWithThem()
    {
        var hostId = await AddHostAsync();
        await TakeAsync(hostId, SnapshotWorld.Db, "kept-in-the-disk");
        var guests = Service<GuestService>();

        var refused = await Assert.ThrowsAsync<GuestActionException>(() => guests.DeleteAsync(Operator, hostId, SnapshotWorld.Db, "db", deleteDisks: false));
        Assert.Contains("1 snapshot(s) (kept-in-the-disk)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(5, DomainAndVolumeCount(hostId).Domains);

        var deleted = await guests.DeleteAsync(Operator, hostId, SnapshotWorld.Db, "db", deleteDisks: true);

        Assert.True(deleted.Done, deleted.Message);
        Assert.Equal((4, 4), DomainAndVolumeCount(hostId));
    }

    private static async Task<SnapshotTree> NextWhere(IAsyncEnumerator<SnapshotTree> trees, Func<SnapshotTree, bool> done)
    {
        while (!done(trees.Current))
        {
            Assert.True(await trees.MoveNextAsync(), "the watch ended before the tree changed");
        }

        return trees.Current;
    }

    private static async Task<string> Outcome(Func<Task<GuestActionResult>> act)
    {
        try
        {
            var result = await act();
            return result.Done ? "done" : result.Message;
        }
        catch (GuestActionException e)
        {
            return e.Message;
        }
    }
}

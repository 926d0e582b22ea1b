namespace VirtWeb.IntegrationTests.Guests;

[Collection(AppCollection.Name)]
public sealed class GuestServiceTests(VirtWebFactory factory) : GuestTest(factory)
{
    private GuestActionLock Actions => Service<GuestActionLock>();

    private static ClaimsPrincipal Operator => GuestWorld.Principal(Roles.Operator, "olga");

    [Fact]
    public async Task PowerActions_Operator_EachReachesLibvirtAndTheStore()
    {
        var hostId = await AddPrivateHostAsync();
        var key = GuestState.KeyOf(hostId, Web);

        await Guests.RunAsync(Operator, hostId, Web, GuestAction.Pause);
        Assert.Equal(DomainState.Paused, (await StateAsync(key, DomainState.Paused)).State);
        await Guests.RunAsync(Operator, hostId, Web, GuestAction.Resume);
        await StateAsync(key, DomainState.Running);
        await Guests.RunAsync(Operator, hostId, Web, GuestAction.Reboot);
        await StateAsync(key, DomainState.Running);
        await Guests.RunAsync(Operator, hostId, Web, GuestAction.Shutdown);
        await StateAsync(key, DomainState.Shutoff);
        await Guests.RunAsync(Operator, hostId, Web, GuestAction.Start);
        await StateAsync(key, DomainState.Running);
        await Guests.RunAsync(Operator, hostId, Web, GuestAction.ManagedSave);
        var saved = await StateAsync(key, DomainState.Shutoff);
        Assert.True(saved.HasManagedSave);
        await Guests.RunAsync(Operator, hostId, Web, GuestAction.Start);
        await StateAsync(key, DomainState.Running);
        var result = await Guests.RunAsync(Operator, hostId, Web, GuestAction.ForceOff);

        Assert.True(result.Done);
        Assert.Equal("forced off", (await StateAsync(key, DomainState.Shutoff)).Reason);
        Assert.Equal(DomainState.Shutoff, Domain(hostId, Web, d => d.GetState().State));
    }

    [Fact]
    public async Task Autostart_OnThenOff_ShowsInTheStoreWithoutAnEvent()
    {
        var hostId = await AddPrivateHostAsync();
        var key = GuestState.KeyOf(hostId, Db);

        await Guests.RunAsync(GuestWorld.Admin, hostId, Db, GuestAction.AutostartOn);
        Assert.True(Store.Guests.Find(key)!.Autostart);
        Assert.True(Domain(hostId, Db, d => d.Autostart));

        await Guests.RunAsync(Operator, hostId, Db, GuestAction.AutostartOff);
        Assert.False(Store.Guests.Find(key)!.Autostart);
    }

    [Theory]
    [InlineData(GuestAction.Start)]
    [InlineData(GuestAction.ForceOff)]
    [InlineData(GuestAction.AutostartOn)]
    public async Task Actions_Viewer_RefusedByTheServiceAndNothingChanges(GuestAction action)
    {
        var hostId = await AddPrivateHostAsync();
        var viewer = GuestWorld.Principal(Roles.Viewer, "vera");

        await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.RunAsync(viewer, hostId, Web, action));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.DeleteAsync(viewer, hostId, Db, "db", deleteDisks: true));

        Assert.Equal(DomainState.Running, Domain(hostId, Web, d => d.GetState().State));
        Assert.False(Domain(hostId, Web, d => d.Autostart));
        Assert.Equal("db", Domain(hostId, Db, d => d.Name));
    }

    [Fact]
    public async Task Action_LibvirtRefuses_ItsMessageReachesTheUser()
    {
        var hostId = await AddPrivateHostAsync();

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Guests.RunAsync(Operator, hostId, Db, GuestAction.Pause));

        Assert.StartsWith("Could not pause db: ", error.Message);
        Assert.Contains("not running", error.Message);
    }

    [Fact]
    public async Task Action_SecondWhileFirstRuns_IsSkipped()
    {
        var hostId = await AddPrivateHostAsync();
        var key = GuestState.KeyOf(hostId, Db);
        Task<GuestActionResult>? second = null;
        void ClickAgain(string busyKey)
        {
            // Raised as the first action begins: this is the user's second click while it runs.
            if (busyKey == key && Actions.IsBusy(key) && second is null)
            {
                second = Guests.RunAsync(Operator, hostId, Db, GuestAction.Start);
            }
        }

        Actions.BusyChanged += ClickAgain;
        GuestActionResult first;
        try
        {
            first = await Guests.RunAsync(Operator, hostId, Db, GuestAction.Start);
        }
        finally
        {
            Actions.BusyChanged -= ClickAgain;
        }

        Assert.True(first.Done);
        var skipped = await second!;
        Assert.False(skipped.Done);
        Assert.Contains("still running", skipped.Message);
        Assert.False(Actions.IsBusy(key));
        Assert.Equal(DomainState.Running, Domain(hostId, Db, d => d.GetState().State));
    }

    [Fact]
    public async Task Delete_RunningGuest_RefusedNamingIt()
    {
        var hostId = await AddPrivateHostAsync();

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Guests.DeleteAsync(Operator, hostId, Web, "web", deleteDisks: false));

        Assert.Contains("web is running; force it off first", error.Message);
        Assert.Equal("web", Domain(hostId, Web, d => d.Name));
    }

    [Fact]
    public async Task Delete_WrongConfirmation_RefusedAndKept()
    {
        var hostId = await AddPrivateHostAsync();

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Guests.DeleteAsync(Operator, hostId, Db, "web", deleteDisks: false));

        Assert.Contains("Type the guest's name, db", error.Message);
        Assert.Equal("db", Domain(hostId, Db, d => d.Name));
    }

    [Fact]
    public async Task Delete_KeepDisks_UndefinesAndKeepsTheVolume()
    {
        var hostId = await AddPrivateHostAsync();

        await Guests.DeleteAsync(Operator, hostId, Db, "db", deleteDisks: false);

        Assert.Null(Store.Guests.Find(GuestState.KeyOf(hostId, Db)));
        using var volume = Connection(hostId).GetStorageVolumeByPath("/images/db.qcow2");
        Assert.NotNull(volume);
    }

    [Fact]
    public async Task Delete_WithDisks_UndefinesAndDeletesTheVolume()
    {
        var hostId = await AddPrivateHostAsync();

        var result = await Guests.DeleteAsync(Operator, hostId, Db, "db", deleteDisks: true);

        Assert.Contains("1 disk", result.Message);
        Assert.Null(Store.Guests.Find(GuestState.KeyOf(hostId, Db)));
        var gone = Assert.Throws<LibvirtException>(() => Connection(hostId).GetStorageVolumeByPath("/images/db.qcow2"));
        Assert.Equal(LibvirtErrorCode.NoStorageVol, gone.Code);
    }

    private async Task<GuestState> StateAsync(string key, DomainState state) =>
        await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.State == state, Deadline, $"the guest reads {state}");

    private T Domain<T>(Guid hostId, Guid uuid, Func<LibvirtDomain, T> read)
    {
        using var domain = Connection(hostId).GetDomainByUuid(uuid);
        return read(domain);
    }
}

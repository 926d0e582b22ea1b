namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class GrantTests(VirtWebFactory factory) : GuestTest(factory)
{
    private GrantDirectory Grants => Service<GrantDirectory>();

    [Fact]
    public async Task Grant_OperatorNarrowedToViewerOnOneGuest_PowerThereRefusedAndGuestUntouched()
    {
        var hostId = await AddPrivateHostAsync();
        var (name, user) = await UserAsync("narrow", Roles.Operator);
        await Grants.SetAsync(TestPrincipals.Administrator, name, AccessPaths.Guest(hostId, Web), AccessRole.Viewer);

        var refusal = await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.RunAsync(user, hostId, Web, GuestAction.ForceOff));
        await Guests.RunAsync(user, hostId, Db, GuestAction.Start);

        Assert.Contains("is a Viewer there", refusal.Message);
        Assert.Equal(DomainState.Running, Store.Guests.Find(GuestState.KeyOf(hostId, Web))!.State);
        await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(hostId, Db)), g => g.State == DomainState.Running, TimeSpan.FromSeconds(30), "db starts");
    }

    [Fact]
    public async Task Grant_UserWithoutRoleAndOperatorOnOneHost_ActsThereOnlyAndSeesNothingElse()
    {
        var hostId = await AddPrivateHostAsync();
        var otherHostId = await AddPrivateHostAsync();
        var (name, user) = await UserAsync("hostop");
        var access = Service<AccessControl>();
        await Grants.SetAsync(TestPrincipals.Administrator, name, AccessPaths.Host(hostId), AccessRole.Operator);

        await Guests.RunAsync(user, hostId, Db, GuestAction.Start);
        await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.RunAsync(user, otherHostId, Db, GuestAction.Start));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.ReadDetailsAsync(user, otherHostId, Web));

        Assert.True(access.Allows(user, AccessPaths.Guest(hostId, Web), Permission.Power));
        Assert.False(access.Allows(user, AccessPaths.Guest(otherHostId, Web), Permission.View));
        Assert.False(access.Allows(user, AccessPaths.Root, Permission.View));
        Assert.Equal(DomainState.Shutoff, Store.Guests.Find(GuestState.KeyOf(otherHostId, Db))!.State);
    }

    [Fact]
    public async Task Grant_NoAccessOnAGuest_BeatsAnAdministratorRoleAndHidesTheLivePageItem()
    {
        var hostId = await AddPrivateHostAsync();
        var (name, user) = await UserAsync("hidden", Roles.Administrator);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var access = Service<AccessControl>();
        var subscription = Store.Guests.Subscribe(g => g.HostId == hostId && access.Allows(user, g.AccessPath, Permission.View), timeout.Token);
        Assert.Equal(2, subscription.Snapshot.Count);

        await Grants.SetAsync(TestPrincipals.Administrator, name, AccessPaths.Guest(hostId, Web), AccessRole.NoAccess);

        await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.ReadDetailsAsync(user, hostId, Web));
        await foreach (var batch in subscription.Changes.WithCancellation(timeout.Token))
        {
            // The open page's view drops the guest without any change to the guest itself.
            if (batch.Any(c => c.Key == GuestState.KeyOf(hostId, Web) && c.Kind == LiveChangeKind.Delete))
            {
                break;
            }
        }
    }

    [Fact]
    public async Task SetAsync_DelegatedHostAdministrator_GrantsBelowTheirHostOnly()
    {
        var hostId = await AddPrivateHostAsync();
        var otherHostId = await AddPrivateHostAsync();
        var (delegateName, delegated) = await UserAsync("deleg", Roles.Viewer);
        var (memberName, member) = await UserAsync("member");
        await Grants.SetAsync(TestPrincipals.Administrator, delegateName, AccessPaths.Host(hostId), AccessRole.Administrator);

        await Grants.SetAsync(delegated, memberName, AccessPaths.Guest(hostId, Web), AccessRole.Operator);
        await Assert.ThrowsAsync<AccessDeniedException>(() => Grants.SetAsync(delegated, memberName, AccessPaths.Root, AccessRole.Viewer));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Grants.SetAsync(delegated, memberName, AccessPaths.Host(otherHostId), AccessRole.Viewer));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Grants.SetAsync(member, delegateName, AccessPaths.Guest(hostId, Web), AccessRole.Viewer));

        var listed = await Grants.ListAsync(delegated);
        Assert.All(listed, g => Assert.StartsWith(AccessPaths.Host(hostId), g.Path));
        Assert.Contains(listed, g => g.UserName == memberName && g.Role == AccessRole.Operator);
        Assert.Empty(await Grants.ListAsync(member));
        await Guests.RunAsync(member, hostId, Web, GuestAction.Pause);
    }

    [Theory]
    [InlineData("/hosts/../etc")]
    [InlineData("/hosts/not-a-guid")]
    [InlineData("/hosts/00000000-0000-0000-0000-000000000001/guests/x")]
    [InlineData("/hosts/00000000-0000-0000-0000-000000000001/pools/a/b")]
    [InlineData("/hosts/00000000-0000-0000-0000-000000000001/pools/..")]
    [InlineData("/hosts/00000000-0000-0000-0000-000000000001/networks/..")]
    [InlineData("/hosts/00000000-0000-0000-0000-000000000001/networks/a b")]
    [InlineData("/hosts/00000000-0000-0000-0000-000000000001\0")]
    [InlineData("/users/admin")]
    [InlineData("   ")]
    public async Task SetAsync_PathNamingNoObject_ClearMessageAndNothingStored(string path)
    {
        var (name, _) = await UserAsync("badpath");

        var error = await Assert.ThrowsAsync<InvalidGrantException>(() => Grants.SetAsync(TestPrincipals.Administrator, name, path, AccessRole.Viewer));

        Assert.Contains("/hosts/{host id}", error.Message);
        Assert.DoesNotContain(await Grants.ListAsync(TestPrincipals.Administrator), g => g.UserName == name);
    }

    [Fact]
    public async Task SetAsync_UnknownUserOrOneself_RefusedWithTheReason()
    {
        var hostId = await AddPrivateHostAsync();
        var (name, user) = await UserAsync("self", Roles.Administrator);

        var unknown = await Assert.ThrowsAsync<InvalidGrantException>(() => Grants.SetAsync(user, "nobody-" + Guid.NewGuid().ToString("N")[..8], AccessPaths.Host(hostId), AccessRole.Viewer));
        var self = await Assert.ThrowsAsync<InvalidGrantException>(() => Grants.SetAsync(user, name, AccessPaths.Host(hostId), AccessRole.NoAccess));

        Assert.Contains("There is no user named", unknown.Message);
        Assert.Contains("your own access", self.Message);
    }

    [Fact]
    public async Task SetAsync_TwoAdministratorsAtOnce_OneGrantWithOneOfTheirRoles()
    {
        var hostId = await AddPrivateHostAsync();
        var (name, _) = await UserAsync("race");
        var path = AccessPaths.Host(hostId);

        await Task.WhenAll(
            Task.Run(() => Grants.SetAsync(GuestWorld.Principal(Roles.Administrator, "adm-a"), name, path, AccessRole.Viewer)),
            Task.Run(() => Grants.SetAsync(GuestWorld.Principal(Roles.Administrator, "adm-b"), name, path, AccessRole.Operator)));

        var grant = Assert.Single(await Grants.ListAsync(TestPrincipals.Administrator), g => g.UserName == name);
        Assert.Contains(grant.Role, new[] { AccessRole.Viewer, AccessRole.Operator });
    }

    [Fact]
    public async Task SetAndRemove_AreAudited_AndRemovingTwiceSaysItIsGone()
    {
        var hostId = await AddPrivateHostAsync();
        var (name, viewer) = await UserAsync("audited", Roles.Viewer);
        var path = AccessPaths.Host(hostId);
        await Grants.SetAsync(TestPrincipals.Administrator, name, path, AccessRole.Operator);
        var grant = Assert.Single(await Grants.ListAsync(TestPrincipals.Administrator), g => g.UserName == name);
        await Assert.ThrowsAsync<AccessDeniedException>(() => Grants.RemoveAsync(viewer, grant.Id));

        await Grants.RemoveAsync(TestPrincipals.Administrator, grant.Id);
        var again = await Assert.ThrowsAsync<InvalidGrantException>(() => Grants.RemoveAsync(TestPrincipals.Administrator, grant.Id));

        Assert.Contains("already removed", again.Message);
        var rows = await AuditRowsAsync(r => r.Target == path && r.Action.StartsWith("grant."));
        Assert.Equal(
            [("root", "grant.set", AuditOutcome.Success), (name, "grant.remove", AuditOutcome.Denied), ("root", "grant.remove", AuditOutcome.Success)],
            rows.Select(r => (r.UserName, r.Action, r.Outcome)));
    }

    [Fact]
    public async Task DemotedThenDisabledUser_NextActionWithTheOldSignInRefusedAtOnce()
    {
        var hostId = await AddPrivateHostAsync();
        var (name, user) = await UserAsync("demoted", Roles.Operator);
        var users = Factory.Services.CreateScope().ServiceProvider.GetRequiredService<UserDirectory>();
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier)!;
        await Guests.RunAsync(user, hostId, Db, GuestAction.Start);

        await users.SetRoleAsync(TestPrincipals.Administrator, id, Roles.Viewer);
        var demoted = await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.RunAsync(user, hostId, Web, GuestAction.ForceOff));
        await users.SetRoleAsync(TestPrincipals.Administrator, id, Roles.Operator);
        await users.DisableAsync(TestPrincipals.Administrator, id);
        var disabled = await Assert.ThrowsAsync<AccessDeniedException>(() => Guests.RunAsync(user, hostId, Web, GuestAction.ForceOff));

        Assert.Contains($"{name} is a Viewer there", demoted.Message);
        Assert.Contains($"{name} has no access there", disabled.Message);
        Assert.Equal(DomainState.Running, Store.Guests.Find(GuestState.KeyOf(hostId, Web))!.State);
    }

    /// <summary>A real account (grants name it) and a principal for it, as its sign-in would carry.</summary>
    private async Task<(string Name, ClaimsPrincipal User)> UserAsync(string prefix, params string[] roles)
    {
        var name = VirtWebFactory.UniqueUserName(prefix);
        var account = await Factory.CreateUserAsync(name, roles);
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, account.Id), new(ClaimTypes.Name, name) };
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return (name, new ClaimsPrincipal(new ClaimsIdentity(claims, "test")));
    }
}

namespace VirtWeb.IntegrationTests.Hosts;

[Collection(AppCollection.Name)]
public sealed class HostServiceTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    [Fact]
    public async Task FirstRun_DemoHost_IsConnectedWithFactsAndGuests()
    {
        var demo = await Eventually.ValueAsync(
            () => Store.Hosts.Current().FirstOrDefault(h => h.Uri == DefaultHosts.DemoUri && h.Name.StartsWith("Demo", StringComparison.Ordinal)),
            h => h.Connection == HostConnectionState.Connected,
            Deadline,
            "the demo host connects");

        Assert.Equal("test", demo.Facts!.Driver, ignoreCase: true);
        Assert.Equal(HypervisorKind.Simulated, demo.Facts.Kind);
        Assert.Equal("i686", demo.Facts.CpuArchitecture);
        Assert.True(Store.GuestCountsOf(demo.HostId).Total >= 1);
    }

    [Fact]
    public async Task Add_ValidHost_IsStoredAndItsSupervisorConnects()
    {
        var name = VirtWebFactory.UniqueUserName("second");

        var host = await WithHosts(h => h.AddAsync(Admin, new HostInput(name, " test:///default ")));

        Assert.Equal("test:///default", host.Uri);
        Assert.Equal("root", host.AddedBy);
        var live = await Eventually.ValueAsync(
            () => Store.Hosts.Find(host.Id.ToString()),
            h => h.Connection == HostConnectionState.Connected,
            Deadline,
            $"{name} connects");
        Assert.Equal(name, live.Name);
        Assert.NotNull(live.Facts);
    }

    [Theory]
    [InlineData("has space", "qemu:///sys tem", "contains spaces")]
    [InlineData("unknown", "carrier:///system", "Unknown libvirt driver")]
    [InlineData("", "test:///default", "Give the host a name")]
    [InlineData("nul\0", "test:///default", "control character")]
    public async Task Add_BadInput_RefusedAndNothingSaved(string name, string uri, string expected)
    {
        var before = await CountHostsAsync();

        var error = await Assert.ThrowsAsync<InvalidHostException>(() => WithHosts(h => h.AddAsync(Admin, new HostInput(name, uri))));

        Assert.Contains(expected, error.Message);
        Assert.Equal(before, await CountHostsAsync());
    }

    [Fact]
    public async Task Add_DuplicateNameInOtherCase_RefusedAndNothingSaved()
    {
        var name = VirtWebFactory.UniqueUserName("Dup");
        await WithHosts(h => h.AddAsync(Admin, new HostInput(name, "test:///default")));
        var before = await CountHostsAsync();

        var error = await Assert.ThrowsAsync<InvalidHostException>(() =>
            WithHosts(h => h.AddAsync(Admin, new HostInput(name.ToLowerInvariant(), "test:///default"))));

        Assert.Contains("already exists", error.Errors[nameof(HostInput.Name)]);
        Assert.Equal(before, await CountHostsAsync());
    }

    [Fact]
    public async Task Add_SameNameConcurrently_ExactlyOneWins()
    {
        var name = VirtWebFactory.UniqueUserName("race");

        var attempts = await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            try
            {
                await WithHosts(h => h.AddAsync(Admin, new HostInput(name, "test:///default")));
                return true;
            }
            catch (InvalidHostException)
            {
                return false;
            }
        }));

        Assert.Equal(1, attempts.Count(won => won));
        Assert.Equal(1, await CountHostsAsync(name));
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Operator)]
    public async Task Add_NotAdministrator_RefusedByTheService(string role)
    {
        var name = VirtWebFactory.UniqueUserName("sneaky");

        await Assert.ThrowsAsync<AccessDeniedException>(() =>
            WithHosts(h => h.AddAsync(Principal(role), new HostInput(name, "test:///default"))));

        Assert.Equal(0, await CountHostsAsync(name));
    }

    [Fact]
    public async Task Update_NewNameAndUri_RestartsTheSupervisorOnTheNewUri()
    {
        var host = await WithHosts(h => h.AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("before"), "qemu+tcp://127.0.0.1:1/system")));
        await Eventually.ValueAsync(() => Store.Hosts.Find(host.Id.ToString()), h => h.Connection == HostConnectionState.Disconnected, Deadline, "the old URI fails");
        var newName = VirtWebFactory.UniqueUserName("after");

        await WithHosts(h => h.UpdateAsync(Admin, host.Id, new HostInput(newName, "test:///default")));

        var live = await Eventually.ValueAsync(
            () => Store.Hosts.Find(host.Id.ToString()),
            h => h.Connection == HostConnectionState.Connected,
            Deadline,
            "the host connects on its new URI");
        Assert.Equal((newName, "test:///default"), (live.Name, live.Uri));
        Assert.Equal(newName, (await WithHosts(h => h.FindAsync(host.Id)))!.Name);
    }

    [Fact]
    public async Task Update_Viewer_RefusedAndHostUnchanged()
    {
        var name = VirtWebFactory.UniqueUserName("stay");
        var host = await WithHosts(h => h.AddAsync(Admin, new HostInput(name, "test:///default")));

        await Assert.ThrowsAsync<AccessDeniedException>(() =>
            WithHosts(h => h.UpdateAsync(Principal(Roles.Viewer), host.Id, new HostInput("hijacked", "qemu:///system"))));

        Assert.Equal(name, (await WithHosts(h => h.FindAsync(host.Id)))!.Name);
    }

    [Fact]
    public async Task Remove_Host_DisappearsFromStoreAndLiveState()
    {
        var host = await WithHosts(h => h.AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("gone"), "test:///default")));
        await Eventually.ValueAsync(() => Store.Hosts.Find(host.Id.ToString()), h => h.Connection == HostConnectionState.Connected, Deadline, "connects");

        await WithHosts(async h =>
        {
            await h.RemoveAsync(Admin, host.Id);
            return true;
        });

        Assert.Null(Store.Hosts.Find(host.Id.ToString()));
        Assert.Null(await WithHosts(h => h.FindAsync(host.Id)));
    }

    [Fact]
    public async Task Remove_Viewer_RefusedAndHostKept()
    {
        var host = await WithHosts(h => h.AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("kept"), "test:///default")));

        await Assert.ThrowsAsync<AccessDeniedException>(() => WithHosts(async h =>
        {
            await h.RemoveAsync(Principal(Roles.Viewer), host.Id);
            return true;
        }));

        Assert.NotNull(await WithHosts(h => h.FindAsync(host.Id)));
    }

    [Fact]
    public async Task UnreachableHost_ShowsDisconnectedWithReasonAndNextAttempt()
    {
        // Port 1 on loopback refuses at once: libvirt's error must reach the page.
        var host = await WithHosts(h => h.AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("down"), "qemu+tcp://127.0.0.1:1/system")));

        var live = await Eventually.ValueAsync(
            () => Store.Hosts.Find(host.Id.ToString()),
            h => h.Connection == HostConnectionState.Disconnected,
            Deadline,
            "the unreachable host reads Disconnected");

        Assert.False(string.IsNullOrWhiteSpace(live.Reason));
        Assert.NotNull(live.NextAttemptAt);
        Assert.Null(live.Facts);
    }

    private static System.Security.Claims.ClaimsPrincipal Admin => TestPrincipals.Administrator;

    private static System.Security.Claims.ClaimsPrincipal Principal(string role) => TestPrincipals.Of("someone", role);

    private Task<T> WithHosts<T>(Func<HostService, Task<T>> action) =>
        WithScopeAsync(services => action(services.GetRequiredService<HostService>()));

    private Task<T> WithDb<T>(Func<VirtWebDbContext, Task<T>> action) =>
        WithScopeAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
            return await action(db);
        });

    private Task<int> CountHostsAsync(string? name = null) =>
        WithDb(db => db.Hosts.CountAsync(h => name == null || h.Name == name));
}

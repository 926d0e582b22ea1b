namespace VirtWeb.IntegrationTests.Hosts;

/// <summary>
/// Add, edit and the connection test, each through HostService as the dialog calls them, under the URI policy; a grant
/// widens no policy, and a host stored before the policy with a URI it refuses is never opened.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class HostUriPolicyTests(VirtWebFactory factory) : IntegrationTest(factory), IDisposable
{
    private const string World = "<node><domain type='test'><name>w1</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain></node>";

    private readonly MarkerProgram _marker = new();

    [Theory]
    [InlineData("qemu+ext:///system?command={program}")]
    [InlineData("qemu+ssh://h/system?command={program}")]
    [InlineData("qemu+ssh://h/system?netcat={program}")]
    [InlineData("qemu+ssh://h/system?keyfile=/etc/shadow")]
    [InlineData("qemu:///system?socket=/tmp/x")]
    [InlineData("test:///etc/shadow")]
    [InlineData("test:///../../etc/passwd")]
    [InlineData("test:///default?x=1")]
    [InlineData("qemu+ssh://h/system?command%3D{program}")]
    [InlineData("qemu+ssh://h/system?%63ommand={program}")]
    [InlineData("qemu+ssh://h/system?Command={program}")]
    public async Task AddEditAndTest_RefusedUri_RefusedAsDeniedNothingRunNothingShown(string template)
    {
        var uri = template.Replace("{program}", _marker.Program, StringComparison.Ordinal);
        var callerName = VirtWebFactory.UniqueUserName("attacker");
        var caller = PolicyChecks.Administrator(callerName);
        var existing = await Factory.WithHostsAsync(h => h.AddAsync(TestPrincipals.Administrator, new HostInput(VirtWebFactory.UniqueUserName("kept"), "test:///default")));
        var newName = VirtWebFactory.UniqueUserName("refused");

        var refusals = new[]
        {
            await Assert.ThrowsAsync<InvalidHostException>(() => Factory.WithHostsAsync(h => h.AddAsync(caller, new HostInput(newName, uri)))),
            await Assert.ThrowsAsync<InvalidHostException>(() => Factory.WithHostsAsync(h => h.UpdateAsync(caller, existing.Id, new HostInput(existing.Name, uri)))),
            await Assert.ThrowsAsync<InvalidHostException>(() => Factory.WithHostsAsync(h => h.TestConnectionAsync(caller, new HostInput(null, uri), null))),
            await Assert.ThrowsAsync<InvalidHostException>(() => Factory.WithHostsAsync(h => h.TestConnectionAsync(caller, new HostInput(existing.Name, uri), existing.Id))),
        };

        Assert.All(refusals, e => Assert.Matches("(parameter|transport|test driver|test:///default)", e.Errors[nameof(HostInput.Uri)]));
        Assert.Null((await Factory.WithHostsAsync(h => h.ListAsync())).FirstOrDefault(h => h.Name == newName));
        Assert.Equal("test:///default", (await Factory.WithHostsAsync(h => h.FindAsync(existing.Id)))!.Uri);
        var rows = await Factory.AuditOfAsync(callerName);
        Assert.Equal(["host.add", "host.edit", "host.test", "host.test"], rows.Select(r => r.Action));
        Assert.All(rows, r => Assert.Equal(AuditOutcome.Denied, r.Outcome));
        Assert.All(rows, r => Assert.Contains(refusals[0].Message, r.Detail));
        Assert.False(_marker.Ran, "the program named in the URI ran");
        await Factory.AssertNothingOfShadowAsync(refusals.Select(e => e.Message));
        await RemoveAsync(existing.Id);
    }

    [Fact]
    public async Task TestConnection_AllowedForms_OpenOrFailCleanly()
    {
        var world = TestWorlds.Write("policy-world", World);

        var qemu = await TestAsync("qemu:///system");
        var demo = await TestAsync("test:///default");
        var fixture = await TestAsync($"test://{world}");
        var ssh = await TestAsync("qemu+ssh://root@host/system?no_tty=1");

        Assert.True(qemu.Succeeded, qemu.Message);
        Assert.True(demo.Succeeded, demo.Message);
        Assert.True(fixture.Succeeded, fixture.Message);
        Assert.False(ssh.Succeeded);
        Assert.Matches("^(libvirt could not connect: .+ \\(libvirt error \\d+, \\w+\\)|No answer within)", ssh.Message);
        await Factory.AssertNothingOfShadowAsync([qemu.Message, demo.Message, fixture.Message, ssh.Message]);
    }

    [Fact]
    public async Task Add_AllowedForms_SavedAndSupervised()
    {
        var world = TestWorlds.Write("policy-world", World);
        var connected = new List<Guid>();
        foreach (var uri in new[] { "qemu:///system", "test:///default", $"test://{world}" })
        {
            var host = await Factory.WithHostsAsync(h => h.AddAsync(TestPrincipals.Administrator, new HostInput(VirtWebFactory.UniqueUserName("ok"), uri)));
            await Eventually.ValueAsync(() => Store.Hosts.Find(host.Id.ToString()), s => s.Connection == HostConnectionState.Connected, Deadline, $"{uri} connects");
            Assert.Equal(uri, host.Uri);
            connected.Add(host.Id);
        }

        var ssh = await Factory.WithHostsAsync(h => h.AddAsync(TestPrincipals.Administrator, new HostInput(VirtWebFactory.UniqueUserName("ssh"), "qemu+ssh://root@host/system?no_tty=1")));
        var down = await Eventually.ValueAsync(() => Store.Hosts.Find(ssh.Id.ToString()), s => s.Connection == HostConnectionState.Disconnected, Deadline, "the ssh host fails");

        Assert.Contains("libvirt error", down.Reason);
        foreach (var id in connected.Append(ssh.Id))
        {
            await RemoveAsync(id);
        }
    }

    [Fact]
    public async Task TestConnectionAndSupervisor_FileInTheDirectoryThatIsNoWorld_SayNotATestDriverXmlWithoutItsContent()
    {
        const string secret = "root:s3cret-of-the-server:20228:0:99999:7:::";
        var path = TestWorlds.Write("not-a-world", $"{secret}\nsecond line\n");

        var probe = await TestAsync($"test://{path}");
        var host = await Factory.WithHostsAsync(h => h.AddAsync(TestPrincipals.Administrator, new HostInput(VirtWebFactory.UniqueUserName("noworld"), $"test://{path}")));
        var down = await Eventually.ValueAsync(() => Store.Hosts.Find(host.Id.ToString()), s => s.Connection == HostConnectionState.Disconnected, Deadline, "the host fails");

        Assert.False(probe.Succeeded);
        Assert.Contains("That file is not a libvirt test-driver XML", probe.Message);
        Assert.StartsWith("That file is not a libvirt test-driver XML", down.Reason);
        Assert.DoesNotContain("s3cret", probe.Message + down.Reason);
        await RemoveAsync(host.Id);
    }

    [Fact]
    public async Task UpdateAndTest_AdministratorByGrantOnTheHost_HeldToTheSamePolicy()
    {
        var host = await Factory.WithHostsAsync(h => h.AddAsync(TestPrincipals.Administrator, new HostInput(VirtWebFactory.UniqueUserName("granted"), "test:///default")));
        var (name, delegated) = await UserWithGrantAsync(AccessPaths.Host(host.Id), AccessRole.Administrator);
        var attack = new HostInput(host.Name, $"qemu+ssh://h/system?command={_marker.Program}");

        var edit = await Assert.ThrowsAsync<InvalidHostException>(() => Factory.WithHostsAsync(h => h.UpdateAsync(delegated, host.Id, attack)));
        var test = await Assert.ThrowsAsync<InvalidHostException>(() => Factory.WithHostsAsync(h => h.TestConnectionAsync(delegated, attack, host.Id)));
        var allowed = await Factory.WithHostsAsync(h => h.TestConnectionAsync(delegated, new HostInput(host.Name, "test:///default"), host.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Factory.WithHostsAsync(h => h.TestConnectionAsync(delegated, new HostInput(null, "test:///default"), null)));

        Assert.All([edit, test], e => Assert.Contains("'command'", e.Errors[nameof(HostInput.Uri)]));
        Assert.True(allowed.Succeeded, allowed.Message);
        Assert.Equal("test:///default", (await Factory.WithHostsAsync(h => h.FindAsync(host.Id)))!.Uri);
        var rows = await Factory.AuditOfAsync(name);
        Assert.Equal(
            [("host.edit", AuditOutcome.Denied), ("host.test", AuditOutcome.Denied), ("host.test", AuditOutcome.Success), ("host.test", AuditOutcome.Denied)],
            rows.Select(r => (r.Action, r.Outcome)));
        Assert.False(_marker.Ran, "the program named in the URI ran");
    }

    [Fact]
    public async Task StoredHost_UriThePolicyRefuses_ShownRefusedByPolicyAndNeverConnected()
    {
        var name = VirtWebFactory.UniqueUserName("legacy");
        var record = new HostRecord
        {
            Id = Guid.NewGuid(),
            Name = name,
            NormalizedName = name.ToUpperInvariant(),
            Uri = $"qemu+ssh://h/system?command={_marker.Program}",
            AddedBy = "an earlier VirtWeb",
            AddedAt = DateTimeOffset.UtcNow,
        };
        await WithScopeAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
            db.Hosts.Add(record);
            return await db.SaveChangesAsync();
        });
        var hostConnections = Service<IHostConnections>();

        // What start-up does for every stored host.
        await hostConnections.ApplyAsync(record);

        var state = Store.Hosts.Find(record.Id.ToString())!;
        Assert.Equal(HostConnectionState.RefusedByPolicy, state.Connection);
        Assert.Contains("'command'", state.Reason);
        var unavailable = Assert.Throws<HostUnavailableException>(() => hostConnections.GetConnection(record.Id));
        Assert.Contains("refused by policy", unavailable.Message);
        var client = BrowserlessClient.Create(Factory);
        await client.SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        var list = await client.Http.GetStringAsync("/hosts");
        var details = await client.Http.GetStringAsync($"/hosts/{record.Id}");
        Assert.Contains("Refused by policy", list);
        Assert.Contains("its URI is refused by policy", details);
        Assert.Contains("would run on the VirtWeb server", details);
        Assert.False(_marker.Ran, "the program named in the stored URI ran");

        // What the message says to do: edit the URI, and the host connects.
        await Factory.WithHostsAsync(h => h.UpdateAsync(TestPrincipals.Administrator, record.Id, new HostInput(record.Name, "test:///default")));
        await Eventually.ValueAsync(() => Store.Hosts.Find(record.Id.ToString()), h => h.Connection == HostConnectionState.Connected, Deadline, "the edited host connects");
        await RemoveAsync(record.Id);
        Assert.Null(Store.Hosts.Find(record.Id.ToString()));
    }

    private async Task<(string Name, ClaimsPrincipal User)> UserWithGrantAsync(string path, AccessRole role)
    {
        var name = VirtWebFactory.UniqueUserName("hostadm");
        var account = await Factory.CreateUserAsync(name);
        await Service<GrantDirectory>().SetAsync(TestPrincipals.Administrator, name, path, role);
        return (name, new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, account.Id), new Claim(ClaimTypes.Name, name)], "test")));
    }

    private Task<ConnectionProbeResult> TestAsync(string uri) =>
        Factory.WithHostsAsync(h => h.TestConnectionAsync(TestPrincipals.Administrator, new HostInput(null, uri), null));

    private Task RemoveAsync(Guid id) =>
        Factory.WithHostsAsync(async h =>
        {
            await h.RemoveAsync(TestPrincipals.Administrator, id);
            return true;
        });

    public void Dispose() => _marker.Dispose();
}

using VirtWeb.MachineIds;

namespace VirtWeb.IntegrationTests.MachineIds;

/// <summary>The registry on real PostgreSQL and the actions' refusals on a private test-driver world (no agent there).</summary>
[Collection(AppCollection.Name)]
public sealed class MachineIdServiceTests(VirtWebFactory factory) : GuestTest(factory)
{
    private MachineIdService MachineIds => Service<MachineIdService>();

    private MachineIdRegistry Registry => Service<MachineIdRegistry>();

    [Fact]
    public async Task Record_SameIdTwiceThenANewOne_OneRowPerIdAndTheLiveEntryFollowsTheNewest()
    {
        var subject = $"test-host-{Guid.NewGuid()}/{Guid.NewGuid()}";
        var first = MachineId.New();
        var second = MachineId.New();
        var observation = new MachineIdObservation(subject, MachineIdSubjectKind.Guest, Guid.NewGuid(), Guid.NewGuid(), "g", MachineIdSource.GuestAgent, first);

        await Registry.RecordAsync(observation);
        await Registry.RecordAsync(observation);
        await Registry.RecordAsync(observation with { MachineId = second });

        var history = await Registry.HistoryAsync(subject);
        Assert.Equal([second.Value, first.Value], history.Select(r => r.MachineId.Trim()));
        Assert.Equal(second.Value, Registry.Entries.Find(MachineIdEntry.KeyOf(subject, MachineIdSource.GuestAgent))?.MachineId);
    }

    [Fact]
    public async Task Duplicates_TwoGuestsOneIdOnOneHostAddedTwice_OneGroupOfTwoSubjects()
    {
        var shared = MachineId.New();
        var hostIdentity = Guid.NewGuid().ToString();
        var a = new MachineIdObservation(MachineIdSubjects.Guest(hostIdentity, Guid.NewGuid()), MachineIdSubjectKind.Guest, Guid.NewGuid(), Guid.NewGuid(), "a", MachineIdSource.GuestAgent, shared);
        var b = a with { SubjectKey = MachineIdSubjects.Guest(hostIdentity, Guid.NewGuid()), Name = "b" };

        await Registry.RecordAsync(a);

        // The same guest seen through a second VirtWeb entry for the same libvirtd is the same subject: no duplicate.
        await Registry.RecordAsync(a with { HostId = Guid.NewGuid() });
        Assert.DoesNotContain(Registry.Duplicates(), d => d.MachineId == shared.Value);

        await Registry.RecordAsync(b);
        var group = Assert.Single(Registry.Duplicates(), d => d.MachineId == shared.Value);
        Assert.Equal(["a", "b"], group.Holders.Select(h => h.Name));
    }

    [Fact]
    public async Task Collector_LocalQemuHost_RecordsLibvirtHostUuidAndThisMachinesIdFile()
    {
        var hostId = await GuestWorld.AddQemuHostAsync(Factory);
        var store = Store;
        var hostUuid = store.Hosts.Find(hostId.ToString())!.Facts!.HostUuid;
        var subject = MachineIdSubjects.Host(MachineIdSubjects.HostIdentity(hostId, store.Hosts.Find(hostId.ToString())!.Facts));

        var fromLibvirt = await Eventually.ValueAsync(
            () => Registry.Entries.Find(MachineIdEntry.KeyOf(subject, MachineIdSource.LibvirtHostUuid)), _ => true, TimeSpan.FromSeconds(30), "the host UUID is recorded");
        Assert.Equal(Guid.Parse(hostUuid!).ToString("N"), fromLibvirt.MachineId);
        if (File.Exists(MachineIdCollector.LocalMachineIdPath))
        {
            var local = await Eventually.ValueAsync(
                () => Registry.Entries.Find(MachineIdEntry.KeyOf(subject, MachineIdSource.HostFile)), _ => true, TimeSpan.FromSeconds(30), "this machine's id is recorded");
            Assert.Equal((await File.ReadAllTextAsync(MachineIdCollector.LocalMachineIdPath)).Trim(), local.MachineId);
        }

        Assert.DoesNotContain(Registry.Duplicates(), d => d.Holders.Any(h => h.SubjectKey == subject));
    }

    [Fact]
    public async Task Assign_ShutOffGuest_CredentialInXmlRecordedAndAudited()
    {
        var hostId = await AddPrivateHostAsync();
        var operatorName = VirtWebFactory.UniqueUserName("op");

        var result = await MachineIds.AssignAsync(GuestWorld.Principal(Roles.Operator, operatorName), hostId, Db);

        Assert.True(result.Done, result.Message);
        var connection = Connection(hostId);
        using var domain = connection.GetDomainByUuid(Db);
        var credential = MachineIdXml.Credential(domain.GetDefinition(DomainXmlFlags.Inactive));
        Assert.NotNull(credential);
        Assert.Contains(credential.Value.Value, result.Message, StringComparison.Ordinal);
        var entry = Registry.Entries.Find(MachineIdEntry.KeyOf(MachineIds.GuestSubject(hostId, Db), MachineIdSource.SmbiosCredential));
        Assert.Equal(credential.Value.Value, entry?.MachineId);
        Assert.Equal([(MachineIdService.AssignAction, AuditOutcome.Success)], await AuditAsync(operatorName));
    }

    [Fact]
    public async Task Assign_RunningGuest_ClearMessageXmlAndRegistryUnchanged()
    {
        var hostId = await AddPrivateHostAsync();
        var operatorName = VirtWebFactory.UniqueUserName("op");
        var before = Recorded(hostId, Web);

        var error = await Assert.ThrowsAsync<GuestActionException>(() => MachineIds.AssignAsync(GuestWorld.Principal(Roles.Operator, operatorName), hostId, Web));

        Assert.Contains("web is running", error.Message, StringComparison.Ordinal);
        Assert.Contains("Regenerate", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Recorded(hostId, Web));
        Assert.Equal([(MachineIdService.AssignAction, AuditOutcome.Failure)], await AuditAsync(operatorName));
    }

    [Fact]
    public async Task Regenerate_GuestWithoutAgent_ClearMessageAndRegistryUnchanged()
    {
        var hostId = await AddPrivateHostAsync();
        var adminName = VirtWebFactory.UniqueUserName("adm");
        var before = Recorded(hostId, Web);

        var error = await Assert.ThrowsAsync<GuestActionException>(() => MachineIds.RegenerateAsync(GuestWorld.Principal(Roles.Administrator, adminName), hostId, Web));

        Assert.Contains("no connected guest agent", error.Message, StringComparison.Ordinal);
        Assert.Contains("qemu-guest-agent", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Recorded(hostId, Web));
        Assert.Equal([(MachineIdService.RegenerateAction, AuditOutcome.Failure)], await AuditAsync(adminName));
    }

    [Fact]
    public async Task Regenerate_ShutOffGuest_ClearMessageAndRegistryUnchanged()
    {
        var hostId = await AddPrivateHostAsync();
        var before = Recorded(hostId, Db);

        var error = await Assert.ThrowsAsync<GuestActionException>(() => MachineIds.RegenerateAsync(GuestWorld.Admin, hostId, Db));

        Assert.Contains("db is shut off", error.Message, StringComparison.Ordinal);
        Assert.Contains("assign", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Recorded(hostId, Db));
    }

    [Fact]
    public async Task RegenerateAndAssign_Viewer_DeniedAuditedAndNothingChanged()
    {
        var hostId = await AddPrivateHostAsync();
        var viewerName = VirtWebFactory.UniqueUserName("view");
        var viewer = GuestWorld.Principal(Roles.Viewer, viewerName);
        var before = Recorded(hostId, Db);

        await Assert.ThrowsAsync<AccessDeniedException>(() => MachineIds.RegenerateAsync(viewer, hostId, Web));
        await Assert.ThrowsAsync<AccessDeniedException>(() => MachineIds.AssignAsync(viewer, hostId, Db));
        await Assert.ThrowsAsync<AccessDeniedException>(() => MachineIds.CloneAsync(viewer, hostId, Db, "db-copy", GuestCloneDisks.Overlay));

        Assert.Equal(before, Recorded(hostId, Db));
        var connection = Connection(hostId);
        using var domain = connection.GetDomainByUuid(Db);
        Assert.Null(MachineIdXml.Credential(domain.GetDefinition(DomainXmlFlags.Inactive)));
        Assert.Equal(
            [(MachineIdService.RegenerateAction, AuditOutcome.Denied), (MachineIdService.AssignAction, AuditOutcome.Denied), ("guest.clone", AuditOutcome.Denied)],
            await AuditAsync(viewerName));
    }

    [Fact]
    public async Task Clone_IdentitySafe_CloneXmlOffersItsOwnIdAndAFirstBootCheckIsPending()
    {
        var hostId = await AddPrivateHostAsync();

        var clone = await MachineIds.CloneAsync(GuestWorld.Admin, hostId, Db, "db-own-id", GuestCloneDisks.Overlay);

        var connection = Connection(hostId);
        using var domain = connection.GetDomainByUuid(clone.Uuid);
        var credential = MachineIdXml.Credential(domain.GetDefinition(DomainXmlFlags.Inactive));
        Assert.NotNull(credential);
        var pending = await MachineIds.CloneStateAsync(clone.Uuid);
        Assert.Equal((CloneState.Pending, credential.Value.Value, Db), (pending?.State, pending?.NewMachineId.Trim(), pending?.SourceUuid));
        using var source = connection.GetDomainByUuid(Db);
        Assert.Null(MachineIdXml.Credential(source.GetDefinition(DomainXmlFlags.Inactive)));
    }

    // Every test:/// world reports the test driver's one host UUID, so other tests' worlds share these subjects: compare, not expect none.
    private List<MachineIdEntry> Recorded(Guid hostId, Guid uuid)
    {
        var subject = MachineIds.GuestSubject(hostId, uuid);
        return Registry.Entries.Current(e => e.SubjectKey == subject).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
    }

    private async Task<List<(string Action, AuditOutcome Outcome)>> AuditAsync(string userName) =>
        (await AuditRowsAsync(r => r.UserName == userName)).Select(r => (r.Action, r.Outcome)).ToList();
}

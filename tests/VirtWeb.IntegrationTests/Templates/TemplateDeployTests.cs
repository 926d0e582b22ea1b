using VirtWeb.Libvirt.Xml;
using VirtWeb.IntegrationTests.Guests;
using VirtWeb.Templates;

namespace VirtWeb.IntegrationTests.Templates;

/// <summary>Templates and deploys on libvirt's test driver (private worlds): marking, refusals, bad input, partial failure.</summary>
[Collection(AppCollection.Name)]
public sealed class TemplateDeployTests(VirtWebFactory factory) : GuestTest(factory)
{
    private TemplateService Templates => Service<TemplateService>();

    private TemplateDeployService Deploys => Service<TemplateDeployService>();

    private static readonly ClaimsPrincipal Operator = GuestWorld.Principal(Roles.Operator, "deployer");

    [Fact]
    public async Task Mark_ShutOffGuest_FlagInMetadataStartRefusedAndUnmarkAllowsStartAgain()
    {
        var hostId = await AddPrivateHostAsync();

        var marked = await Templates.MarkAsync(GuestWorld.Admin, hostId, Db);

        Assert.True(marked.Done, marked.Message);
        using (var domain = Connection(hostId).GetDomainByUuid(Db))
        {
            Assert.True(TemplateMarks.IsTemplate(DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive))));
        }

        await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(hostId, Db)), g => g.IsTemplate, Deadline, "the store shows db as a template");
        Assert.False(GuestActions.Applies(GuestAction.Start, Store.Guests.Find(GuestState.KeyOf(hostId, Db))!));
        var refused = await Assert.ThrowsAsync<GuestActionException>(() => Guests.RunAsync(GuestWorld.Admin, hostId, Db, GuestAction.Start));
        Assert.Contains("db is a template and does not start", refused.Message);
        var listed = Assert.Single(await Templates.ListAsync(GuestWorld.Principal(Roles.Viewer), hostId, [Db]));
        Assert.Equal(("db", 1UL << 30), (listed.Name, listed.CapacityBytes));
        Assert.Equal("vda", Assert.Single(listed.Disks).Target);
        var audit = (await AuditRowsAsync(r => r.Action == TemplateService.MarkAction && r.Target == AccessPaths.Guest(hostId, Db))).Last();
        Assert.Equal(AuditOutcome.Success, audit.Outcome);

        var unmarked = await Templates.UnmarkAsync(GuestWorld.Admin, hostId, Db);
        Assert.True(unmarked.Done, unmarked.Message);
        Assert.True((await Guests.RunAsync(GuestWorld.Admin, hostId, Db, GuestAction.Start)).Done);
    }

    [Fact]
    public async Task Mark_RunningGuestOrByOperator_RefusedAndNotMarked()
    {
        var hostId = await AddPrivateHostAsync();

        var running = await Assert.ThrowsAsync<GuestActionException>(() => Templates.MarkAsync(GuestWorld.Admin, hostId, Web));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Templates.MarkAsync(Operator, hostId, Db));

        Assert.Contains("web is running; shut it off before making it a template", running.Message);
        using var domain = Connection(hostId).GetDomainByUuid(Db);
        Assert.False(TemplateMarks.IsTemplate(DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive))));
    }

    [Fact]
    public async Task Deploy_ThreeLinked_NumberedRunningGuestsEachWithAnOverlayOwnUuidAndSize()
    {
        var hostId = await AddPrivateHostAsync();
        await Templates.MarkAsync(GuestWorld.Admin, hostId, Db);
        var progress = new Recorder();

        var results = await Deploys.DeployAsync(Operator, hostId, Db, new DeployRequest("app", 3, GuestCloneDisks.Overlay, Vcpus: 1, MemoryMiB: 128), progress);

        Assert.All(results, r => Assert.Equal(DeployStep.Done, r.Step));
        Assert.Equal(["app-1", "app-2", "app-3"], results.Select(r => r.Name));
        Assert.Equal(3, results.Select(r => r.Uuid).Distinct().Count());
        Assert.Contains(progress.Seen, s => s.Step == DeployStep.Clone && s.Name == "app-2");
        foreach (var result in results)
        {
            using var domain = Connection(hostId).GetDomainByUuid(result.Uuid!.Value);
            Assert.True(domain.IsActive);
            var definition = DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive));
            Assert.False(TemplateMarks.IsTemplate(definition));
            Assert.Equal((1, 128UL * 1024), (definition.CurrentVcpus, definition.MemoryKiB!.Value));
            var disk = definition.Disks.Single(d => d.Device == "disk");
            using var volume = Connection(hostId).GetStorageVolumeByPath(disk.SourceFile!);
            Assert.Equal("/images/db.qcow2", volume.GetDefinition().BackingStorePath);
            Assert.NotNull(await Service<VirtWeb.MachineIds.MachineIdService>().CloneStateAsync(result.Uuid!.Value));
        }
    }

    [Fact]
    public async Task Deploy_SeedUploadRefusedByTheDriver_EachGuestFailsNamingItAndNothingIsLeft()
    {
        // libvirt's test driver has no virStorageVolUpload: the seed volume is made, the upload fails, the volume goes.
        var hostId = await AddPrivateHostAsync();
        await Templates.MarkAsync(GuestWorld.Admin, hostId, Db);
        var before = DomainAndVolumeCount(hostId);

        var results = await Deploys.DeployAsync(Operator, hostId, Db, new DeployRequest("seeded", 2, CloudInit: new CloudInitInput(HostName: "seeded")));

        Assert.All(results, r => Assert.Equal(DeployStep.Failed, r.Step));
        Assert.All(results, r => Assert.Contains("virStorageVolUpload", r.Message));
        Assert.Equal(before, DomainAndVolumeCount(hostId));
    }

    [Fact]
    public async Task Preview_WithPassword_ShowsTheFilesWithTheHashMaskedAndTheUsersKeys()
    {
        var files = await TemplateDeployService.PreviewAsync(new DeployRequest("web", 2, CloudInit: new CloudInitInput(
            HostName: "node", User: "ops", Password: "hunter22", SshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx test@example"], Packages: ["htop"],
            UserData: "#cloud-config\nruncmd:\n  - [touch, /tmp/ok]\n")));

        Assert.StartsWith("#cloud-config\n", files.UserData);
        Assert.Contains("hostname: node-1", files.UserData);
        Assert.Contains(CloudInitFiles.MaskedHash, files.UserData);
        Assert.DoesNotContain("$6$", files.UserData);
        Assert.DoesNotContain("hunter22", files.UserData);
        Assert.Contains("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx test@example", files.UserData);
        Assert.Contains("- htop", files.UserData);
        Assert.Contains("runcmd:", files.UserData);
        Assert.Contains("local-hostname: node-1", files.MetaData);
        Assert.Contains("dhcp4: true", files.NetworkConfig);
    }

    public static TheoryData<string, string> BadUserData() => new()
    {
        { "#cloud-config\npackages: [htop\nruncmd: x\n", "is not valid YAML" },
        { "#cloud-config\npackages: htop\n  bad: indent\n", "is not valid YAML at line" },
        { "packages:\n  - htop\n", "must start with the line '#cloud-config'" },
        { "#cloud-config\n#" + new string('x', 1024 * 1024) + "\n", "keep it under 64 KiB" },
        { "#cloud-config\npackges:\n  - htop\n", "cloud-init does not know: packges" },
    };

    [Theory]
    [MemberData(nameof(BadUserData))]
    public async Task Deploy_BadUserData_ClearMessageAndNothingMade(string userData, string expected)
    {
        var hostId = await AddPrivateHostAsync();
        await Templates.MarkAsync(GuestWorld.Admin, hostId, Db);
        var before = DomainAndVolumeCount(hostId);

        var error = await Assert.ThrowsAsync<DeployInputException>(() =>
            Deploys.DeployAsync(Operator, hostId, Db, new DeployRequest("app", 2, CloudInit: new CloudInitInput(UserData: userData))));

        Assert.Contains(expected, error.Message);
        Assert.Equal(before, DomainAndVolumeCount(hostId));
    }

    [Theory]
    [InlineData("web", 1, null, "A guest named web already exists")]
    [InlineData("app", 0, null, "Deploy between 1 and 50 guests at once; 0 was asked for")]
    [InlineData("app", 51, null, "Deploy between 1 and 50 guests at once; 51 was asked for")]
    [InlineData("app", 1, 512UL, "512 MiB is below Debian 11's minimum of 1024 MiB")]
    public async Task Deploy_BadRequest_ClearMessageAndNothingMade(string name, int count, ulong? memoryMiB, string expected)
    {
        var hostId = await AddPrivateHostAsync(OsinfoWorld());
        await Templates.MarkAsync(GuestWorld.Admin, hostId, Db);
        var before = DomainAndVolumeCount(hostId);

        var error = await Assert.ThrowsAsync<DeployInputException>(() =>
            Deploys.DeployAsync(Operator, hostId, Db, new DeployRequest(name, count, MemoryMiB: memoryMiB, CloudInit: new CloudInitInput())));

        Assert.Contains(expected, error.Message);
        Assert.Equal(before, DomainAndVolumeCount(hostId));
        var audit = (await AuditRowsAsync(r => r.Action == TemplateDeployService.DeployAction && r.Target == AccessPaths.Guest(hostId, Db))).Last();
        Assert.Equal(AuditOutcome.Failure, audit.Outcome);
    }

    [Fact]
    public async Task Deploy_NotATemplate_Refused()
    {
        var hostId = await AddPrivateHostAsync();

        var error = await Assert.ThrowsAsync<DeployInputException>(() => Deploys.DeployAsync(Operator, hostId, Db, new DeployRequest("app")));

        Assert.Contains("db is not a template; mark it as one first", error.Message);
    }

    [Fact]
    public async Task Deploy_TemplateDeletedDuringDeploy_FirstKeptOthersFailNamingIt()
    {
        var hostId = await AddPrivateHostAsync();
        await Templates.MarkAsync(GuestWorld.Admin, hostId, Db);
        var connection = Connection(hostId);
        var before = DomainAndVolumeCount(hostId);
        var progress = new Recorder(status =>
        {
            if (status is { Index: 1, Step: DeployStep.Done })
            {
                using var template = connection.GetDomainByUuid(Db);
                template.Undefine();
            }
        });

        var results = await Deploys.DeployAsync(Operator, hostId, Db, new DeployRequest("late", 3), progress);

        Assert.Equal([DeployStep.Done, DeployStep.Failed, DeployStep.Failed], results.Select(r => r.Step));
        Assert.All(results.Skip(1), r => Assert.Contains("no longer exists", r.Message));
        // The template went, one guest came with its overlay: nothing of the other two.
        var after = DomainAndVolumeCount(hostId);
        Assert.Equal((before.Domains, before.Volumes + 1), after);
    }

    /// <summary>Reports synchronously, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Recorder(Action<DeployGuestStatus>? onReport = null) : IProgress<DeployGuestStatus>
    {
        public List<DeployGuestStatus> Seen { get; } = [];

        public void Report(DeployGuestStatus value)
        {
            Seen.Add(value);
            onReport?.Invoke(value);
        }
    }

    // db carries libosinfo's OS id (Debian 11: at least 1 GiB), as virt-install writes it.
    private static string OsinfoWorld()
    {
        var text = File.ReadAllText(GuestWorld.WriteDefault()).Replace(
            "<name>db</name>",
            "<name>db</name><metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='http://debian.org/debian/11'/></libosinfo:libosinfo></metadata>",
            StringComparison.Ordinal);
        return TestWorlds.Write("guests-osinfo", text);
    }
}

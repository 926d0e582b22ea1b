using VirtWeb.Libvirt.Xml;
using System.Security;
using System.Xml.Linq;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.MachineIds;
using VirtWeb.Templates;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Templates;

/// <summary>
/// Issue #19's acceptance on libvirtd + QEMU with the tiny test guest (which reads the cidata seed: see
/// tests/guest/rootfs/init): the guest as a template, three linked guests deployed with a host name and an SSH key.
/// One template boot serves the whole test (TCG boots are slow).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class TemplateQemuTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    // Three guests boot twice each under TCG (the identity-safe clone reboots once with its own machine ID).
    protected override TimeSpan Deadline => TimeSpan.FromSeconds(300);

    private const string SshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHZ3dHBsLXRlc3Qta2V5LW5vdC1yZWFsLXh4eHg vwtpl@test";

    [Fact]
    public async Task Deploy_ThreeLinkedWithHostNameAndSshKey_AgentsReportTheNamesOwnMachineIdsOverlaysAndSeedsGone()
    {
        var hostId = await GuestWorld.AddQemuHostAsync(Factory);
        await using var source = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwtpl-src", WorkParent = PoolRootsOptions.DefaultRoot }, Deadline);
        var templateId = await source.ReadMachineIdAsync();
        await source.ShutdownAsync(deadline: Deadline);
        var connection = Connection(hostId);

        // The serial log is a file of the tiny guest's own; three deployed guests appending to one file would only confuse.
        var templateXml = XDocument.Parse(source.Domain.GetXml(DomainXmlFlags.Inactive));
        templateXml.Root!.Element("devices")!.Elements("serial").Elements("log").Remove();
        connection.DefineDomain(templateXml.ToString()).Dispose();

        var poolName = $"vwtpl-pool-{Guid.NewGuid():N}"[..24];
        using var pool = connection.CreateStoragePool(
            $"<pool type='dir'><name>{poolName}</name><target><path>{SecurityElement.Escape(source.WorkDirectory)}</path></target></pool>");
        var deployed = new List<Guid>();
        try
        {
            var marked = await Service<TemplateService>().MarkAsync(GuestWorld.Admin, hostId, source.Domain.Uuid);
            Assert.True(marked.Done, marked.Message);
            var tag = Guid.NewGuid().ToString("N")[..6];

            var results = await Service<TemplateDeployService>().DeployAsync(GuestWorld.Admin, hostId, source.Domain.Uuid,
                new DeployRequest($"vwtpl-{tag}", 3, GuestCloneDisks.Overlay, CloudInit: new CloudInitInput(HostName: $"vwtpl-h{tag}", SshKeys: [SshKey])));
            deployed.AddRange(results.Where(r => r.Uuid is not null).Select(r => r.Uuid!.Value));

            Assert.All(results, r => Assert.True(r.Step == DeployStep.Done, $"{r.Name}: {r.Message}"));
            var machineIds = new List<string>();
            for (var i = 0; i < results.Count; i++)
            {
                var uuid = results[i].Uuid!.Value;
                using var domain = connection.GetDomainByUuid(uuid);
                var agent = new GuestAgent(domain);
                var hostName = await WaitAsync(async () => (await agent.ExecuteAsync("guest-get-host-name")).GetProperty("host-name").GetString(),
                    name => name == $"vwtpl-h{tag}-{i + 1}", $"{results[i].Name}'s agent reports host name vwtpl-h{tag}-{i + 1}");
                Assert.Equal($"vwtpl-h{tag}-{i + 1}", hostName);

                // The identity-safe clone path sets the machine ID through the agent at first boot and verifies it.
                var state = await WaitAsync(() => Service<MachineIdService>().CloneStateAsync(uuid), s => s.State is CloneState.Verified or CloneState.Flagged,
                    $"{results[i].Name}'s machine ID is verified");
                Assert.True(state.State == CloneState.Verified, state.Detail);
                machineIds.Add(await WaitAsync(async () => (await agent.ReadTextFileAsync("/etc/machine-id")).Trim(), id => id == state.NewMachineId,
                    $"{results[i].Name} runs with its own machine ID"));
                var userData = await WaitAsync(async () => await agent.ReadTextFileAsync("/var/lib/cloud/instance/user-data.txt"), t => t.Length > 0, "the guest kept its user-data");
                Assert.Contains(SshKey, userData);

                var disk = DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive)).Disks.Single(d => d.Device == "disk");
                var info = QemuPool.QemuImgInfo(disk.SourceFile!);
                Assert.Equal("qcow2", info.GetProperty("format").GetString());
                Assert.Equal(source.DiskPath, info.GetProperty("full-backing-filename").GetString());
            }

            Assert.Equal(3, machineIds.Distinct().Count());
            Assert.DoesNotContain(templateId, machineIds);

            foreach (var result in results)
            {
                var seedVolume = TemplateDeployService.SeedVolumeName(result.Name);
                await WaitAsync(() => Task.FromResult<string?>(Service<SeedCleanup>().IsPending(result.Uuid!.Value) || VolumeExists(pool, seedVolume) ? null : "gone"), _ => true,
                    $"{result.Name}'s seed {seedVolume} is deleted after its first boot");
                using var domain = connection.GetDomainByUuid(result.Uuid!.Value);
                var definition = DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive));
                Assert.DoesNotContain(definition.Disks, d => d.Device == "cdrom");
                Assert.Null(TemplateMarks.Seed(definition));
                Assert.DoesNotContain(DomainDefinition.Parse(domain.GetXml()).Disks, d => d.Device == "cdrom" && d.SourceFile is not null);
            }
        }
        finally
        {
            await Task.Run(() =>
            {
                DeployedGuests.Remove(connection, deployed);
                pool.Stop();
            });
        }
    }

    private static bool VolumeExists(LibvirtStoragePool pool, string name)
    {
        pool.Refresh();
        try
        {
            pool.GetVolumeByName(name).Dispose();
            return true;
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStorageVol)
        {
            return false;
        }
    }

    private Task<T> WaitAsync<T>(Func<Task<T?>> read, Func<T, bool> done, string what) => AgentWait.UntilAsync(read, done, Deadline, what);
}

using System.Globalization;
using System.Xml.Linq;
using VirtWeb.IntegrationTests.Guests;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.Libvirt.Xml;
using VirtWeb.MachineIds;
using VirtWeb.Templates;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Templates;

/// <summary>
/// Issue #19's "a pool that fills up after two of five guests" on libvirtd + QEMU: the template's disk lives in a pool on
/// a <see cref="SmallFileSystem"/> whose free space is set so that exactly two full copies (and their seeds) fit.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class TemplatePoolFullQemuTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    private const long MiB = 1L << 20;

    // Two guests boot under TCG.
    protected override TimeSpan Deadline => TimeSpan.FromSeconds(300);

    [Fact]
    public async Task Deploy_PoolFillsAfterTwoOfFiveFullCopies_TwoKeptAndRunningOthersFailNamingThePoolNothingLeftOfThem()
    {
        var hostId = await GuestWorld.AddQemuHostAsync(Factory);
        var connection = Connection(hostId);
        using var disk = SmallFileSystem.Create(96);
        // Kernel and initrd in a pool of their own inside the storage roots (the definition policy wants volumes there).
        await using var source = TinyGuest.Define(new TinyGuestOptions { NamePrefix = "vwfull-tpl", WorkParent = PoolRootsOptions.DefaultRoot });

        // The template's disk in the small pool, made larger than the tiny guest's (16 MiB of data past the end of its
        // file system, which the guest never reads), so that a full copy takes a size that fills the pool quickly.
        var templateDisk = Path.Combine(disk.Mount, "vwfull-tpl.qcow2");
        QemuPool.Run("qemu-img", "convert", "-O", "qcow2", source.DiskPath, templateDisk);
        QemuPool.Run("qemu-img", "resize", "-q", templateDisk, "96M");
        QemuPool.Run("qemu-io", "-c", "write -P 0xab 64M 16M", templateDisk);
        var xml = XDocument.Parse(source.Domain.GetXml(DomainXmlFlags.Inactive));
        var devices = xml.Root!.Element("devices")!;
        devices.Elements("disk").Single().Element("source")!.SetAttributeValue("file", templateDisk);
        // The serial log is the template's own file; deployed guests appending to one file would only confuse.
        devices.Elements("serial").Elements("log").Remove();
        connection.DefineDomain(xml.ToString()).Dispose();

        using var pool = disk.CreatePool(connection);
        using var boot = connection.CreateStoragePool(
            $"<pool type='dir'><name>{disk.Name}-boot</name><target><path>{System.Security.SecurityElement.Escape(source.WorkDirectory)}</path></target></pool>");
        var tag = Guid.NewGuid().ToString("N")[..6];
        var names = Enumerable.Range(1, 5).Select(i => $"vwfull-{tag}-{i}").ToList();
        var deployed = new List<Guid>();
        try
        {
            var marked = await Service<TemplateService>().MarkAsync(GuestWorld.Admin, hostId, source.Domain.Uuid);
            Assert.True(marked.Done, marked.Message);

            // Room for two full copies and their seeds, and a few MiB the two running guests write: not for a third copy.
            pool.Refresh();
            long allocation;
            using (var volume = pool.GetVolumeByName("vwfull-tpl.qcow2"))
            {
                allocation = (long)volume.GetInfo().AllocationBytes;
            }

            Assert.True(allocation > 16 * MiB, $"the template's disk holds {allocation} bytes");
            disk.FillLeaving(2 * allocation + 2 * MiB + allocation / 2);

            var results = await Service<TemplateDeployService>().DeployAsync(GuestWorld.Admin, hostId, source.Domain.Uuid,
                new DeployRequest($"vwfull-{tag}", 5, GuestCloneDisks.FullCopy, CloudInit: new CloudInitInput(HostName: $"vwfull-h{tag}")));
            deployed.AddRange(results.Where(r => r.Uuid is not null).Select(r => r.Uuid!.Value));

            Assert.Equal(names, results.Select(r => r.Name));
            Assert.True(results.Select(r => r.Step).SequenceEqual([DeployStep.Done, DeployStep.Done, DeployStep.Failed, DeployStep.Failed, DeployStep.Failed]),
                string.Join("; ", results.Select(r => $"{r.Name}: {r.Step} {r.Message}")));
            foreach (var failed in results.Skip(2))
            {
                Assert.Null(failed.Uuid);
                Assert.Matches($@"Pool {disk.Name} has [0-9.]+ [KM]iB free, but a full copy of vwfull-tpl\.qcow2 needs about [0-9.]+ MiB\. Free space in pool {disk.Name}", failed.Message);
                Assert.EndsWith("Or clone with overlays, which take almost nothing at first.", failed.Message, StringComparison.Ordinal);
            }

            // Nothing of the three that failed: no definition, no copy, no seed, no file.
            foreach (var name in names.Skip(2))
            {
                Assert.False(GuestLookups.DomainExists(connection, name), $"{name} is not defined");
                Assert.DoesNotContain(VolumesOf(pool), v => v.StartsWith(name, StringComparison.Ordinal));
                Assert.DoesNotContain(disk.Files(), f => f.StartsWith(name, StringComparison.Ordinal));
            }

            var audit = (await AuditRowsAsync(r => r.Action == TemplateDeployService.DeployAction && r.Target == AccessPaths.Guest(hostId, source.Domain.Uuid))).Last();
            Assert.Equal(AuditOutcome.Failure, audit.Outcome);
            Assert.StartsWith($"Deployed 2 of 5 guest(s) from {source.Name} (full copies); {names[2]} failed: ", audit.Detail);

            // The two kept run as deployed: each its own host name from its seed, its machine ID verified, its seed gone.
            for (var i = 0; i < 2; i++)
            {
                var uuid = results[i].Uuid!.Value;
                using var domain = connection.GetDomainByUuid(uuid);
                var agent = new GuestAgent(domain);
                var expected = $"vwfull-h{tag}-{(i + 1).ToString(CultureInfo.InvariantCulture)}";
                await AgentWait.UntilAsync(async () => (await agent.ExecuteAsync("guest-get-host-name")).GetProperty("host-name").GetString(),
                    n => n == expected, Deadline, $"{names[i]}'s agent reports host name {expected}");
                var state = await AgentWait.UntilAsync(() => Service<MachineIdService>().CloneStateAsync(uuid), s => s.State is CloneState.Verified or CloneState.Flagged,
                    Deadline, $"{names[i]}'s machine ID is verified");
                Assert.True(state.State == CloneState.Verified, state.Detail);
                var definition = DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive));
                var copy = QemuPool.QemuImgInfo(definition.Disks.Single(d => d.Device == "disk").SourceFile!);
                Assert.False(copy.TryGetProperty("backing-filename", out _), $"{names[i]}'s disk is a full copy");
                var seed = TemplateDeployService.SeedVolumeName(names[i]);
                await AgentWait.UntilAsync(() => Task.FromResult<string?>(Service<SeedCleanup>().IsPending(uuid) || VolumesOf(pool).Contains(seed) ? null : "gone"), _ => true,
                    Deadline, $"{names[i]}'s seed {seed} is deleted after its first boot");
                Assert.True(domain.IsActive, $"{names[i]} still runs");
            }
        }
        finally
        {
            await Task.Run(() =>
            {
                DeployedGuests.Remove(connection, deployed);
                pool.Stop();
                boot.Stop();
            });
        }
    }

    /// <summary>The pool's volumes as libvirt lists them after a refresh, but the filler.</summary>
    private static IReadOnlyList<string> VolumesOf(LibvirtStoragePool pool)
    {
        pool.Refresh();
        var volumes = pool.ListVolumes();
        try
        {
            return volumes.Select(v => v.Name).Where(n => n != SmallFileSystem.FillerName).Order(StringComparer.Ordinal).ToList();
        }
        finally
        {
            foreach (var volume in volumes)
            {
                volume.Dispose();
            }
        }
    }
}

using System.Security;
using VirtWeb.Libvirt;
using VirtWeb.IntegrationTests.Images;

namespace VirtWeb.EndToEnd;

/// <summary>
/// Issue #16 in the browser on libvirtd + QEMU: a diskful guest that only sits in SeaBIOS (a 64 MiB qcow2 volume in a
/// pool of its own), an external snapshot taken from the Snapshots tab whose overlay the Images page draws in its
/// backing chain, then an internal one that a confirmed revert brings back from shut off to running.
/// </summary>
public sealed class SnapshotsTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 60_000 };

    [Fact]
    public async Task SnapshotsTab_ExternalOverlayInImagesChainThenInternalRevert_StateChangesLive()
    {
        await using var pool = await QemuPool.CreateAsync(App);
        await pool.Volumes.CreateVolumeAsync(QemuPool.Operator, pool.HostId, pool.Name, "vwsnap-e2e.qcow2", "qcow2", 64L << 20);
        var disk = pool.PathOf("vwsnap-e2e.qcow2");
        var name = $"vwsnap-e2e-{Guid.NewGuid():N}"[..24];
        var connection = pool.Connection;
        using var domain = await Task.Run(() => connection.DefineDomain($"""
            <domain type='qemu'>
              <name>{name}</name>
              <memory unit='MiB'>64</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{SecurityElement.Escape(disk)}'/><target dev='vda' bus='virtio'/></disk>
                <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
              </devices>
            </domain>
            """));
        try
        {
            await Task.Run(domain.Start);
            var operatorName = VirtWebFactory.UniqueUserName("e2e-snap-op");
            await App.CreateUserAsync(operatorName, Roles.Operator);
            await SignInAsync(operatorName, VirtWebFactory.UserPassword);
            await OpenSnapshotsTabAsync(pool.HostId, domain.Uuid);

            await TakeAsync("ext-one", external: true);
            var row = Page.Locator("[data-testid=snapshot-row][data-name='ext-one']");
            await Expect(row).ToContainTextAsync("external overlay", new() { Timeout = 60_000 });
            await Expect(row.GetByTestId("snapshot-current")).ToBeVisibleAsync();

            await Page.GotoAsync("/images");
            await Page.WaitForInteractiveAsync();
            var overlayRow = Page.Locator($"[data-pool='{pool.Name}']").GetByRole(AriaRole.Row)
                .Filter(new() { Has = Page.GetByTestId("volume-name").GetByText("vwsnap-e2e.ext-one.qcow2", new() { Exact = true }) });
            await Expect(overlayRow.GetByTestId("volume-chain")).ToContainTextAsync("vwsnap-e2e.ext-one.qcow2 → vwsnap-e2e.qcow2", new() { Timeout = 30_000 });
            await Expect(overlayRow.GetByTestId("volume-used-by")).ToContainTextAsync(name);

            await OpenSnapshotsTabAsync(pool.HostId, domain.Uuid);
            await Page.GetByRole(AriaRole.Button, new() { Name = "Delete ext-one", Exact = true }).ClickAsync();
            await Page.GetByTestId("snapshot-delete-confirm").ClickAsync();
            await Expect(Page.GetByTestId("snapshot-none")).ToBeVisibleAsync(Visible);

            await TakeAsync("mem-one", external: false);
            await Expect(Page.Locator("[data-testid=snapshot-row][data-name='mem-one']")).ToContainTextAsync("running, with memory", new() { Timeout = 60_000 });
            await Page.GetByRole(AriaRole.Button, new() { Name = $"Force off {name}", Exact = true }).ClickAsync();
            await Expect(Page.GetByTestId("guest-state")).ToHaveTextAsync("Shut off", new() { Timeout = 30_000 });

            await Page.GetByRole(AriaRole.Button, new() { Name = "Revert to mem-one", Exact = true }).ClickAsync();
            await Expect(Page.GetByTestId("snapshot-confirm")).ToContainTextAsync("mem-one");
            await Page.GetByTestId("snapshot-revert-confirm").ClickAsync();

            await Expect(Page.GetByTestId("guest-state")).ToHaveTextAsync("Running", new() { Timeout = 60_000 });
            var safety = Page.Locator("[data-testid=snapshot-row][data-parent='mem-one']");
            await Expect(safety).ToContainTextAsync("shut off", new() { Timeout = 30_000 });
            Assert.StartsWith("before-mem-one-", await safety.GetAttributeAsync("data-name"), StringComparison.Ordinal);
        }
        finally
        {
            await Task.Run(() =>
            {
                if (domain.IsActive)
                {
                    domain.Destroy();
                }

                foreach (var snapshot in domain.ListSnapshots())
                {
                    using (snapshot)
                    {
                        snapshot.Delete(SnapshotDeleteFlags.MetadataOnly);
                    }
                }

                domain.Undefine();
            });
        }
    }

    private async Task OpenSnapshotsTabAsync(Guid hostId, Guid uuid)
    {
        await Page.GotoAsync($"/guests/{hostId}/{uuid}");
        await Page.WaitForInteractiveAsync();
        await Page.Locator(".mud-tab").Filter(new() { HasText = "Snapshots" }).ClickAsync();
        await Expect(Page.GetByTestId("snapshot-new")).ToBeVisibleAsync(Visible);
    }

    private async Task TakeAsync(string snapshot, bool external)
    {
        await Page.GetByTestId("snapshot-new").ClickAsync();
        var form = Page.GetByTestId("snapshot-create");
        await Expect(form.GetByTestId("snapshot-cost")).ToContainTextAsync("free");
        var name = form.Locator("input[data-testid=snapshot-name], [data-testid=snapshot-name] input");
        await name.FillAsync(snapshot);
        await Expect(name).ToHaveValueAsync(snapshot);
        if (external)
        {
            await form.GetByText("External (overlay)").ClickAsync();
            await Expect(form.GetByTestId("snapshot-cost")).ToContainTextAsync("grows with what the guest writes");
        }

        await Expect(form.GetByTestId("snapshot-refusal")).ToHaveCountAsync(0);
        await form.GetByTestId("snapshot-take").ClickAsync();
        await Expect(form).ToHaveCountAsync(0, new() { Timeout = 60_000 });
    }
}

using System.Security;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.Libvirt;
using VirtWeb.Templates;

namespace VirtWeb.EndToEnd;

/// <summary>
/// Issue #19 in the browser on libvirtd + QEMU: a diskful guest that only sits in SeaBIOS, marked as a template; the
/// deploy dialog makes two linked guests with a cloud-init seed, shows each one's progress and then both running, live.
/// </summary>
public sealed class TemplatesTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    private static readonly LocatorAssertionsToContainTextOptions Slow = new() { Timeout = 90_000 };

    [Fact]
    public async Task DeployDialog_TwoLinkedGuests_ProgressThenBothRunningWithoutReload()
    {
        await using var pool = await QemuPool.CreateAsync(App);
        await pool.Volumes.CreateVolumeAsync(QemuPool.Operator, pool.HostId, pool.Name, "vwtpl-e2e.qcow2", "qcow2", 64L << 20);
        var disk = pool.PathOf("vwtpl-e2e.qcow2");
        var tag = Guid.NewGuid().ToString("N")[..6];
        var templateName = $"vwtpl-e2e-{tag}-template";
        var connection = pool.Connection;
        using var template = await Task.Run(() => connection.DefineDomain($"""
            <domain type='qemu'>
              <name>{templateName}</name>
              <memory unit='MiB'>64</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{SecurityElement.Escape(disk)}'/><target dev='vda' bus='virtio'/></disk>
                <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
              </devices>
            </domain>
            """));
        try
        {
            var marked = await App.Services.GetRequiredService<TemplateService>().MarkAsync(QemuPool.Administrator, pool.HostId, template.Uuid);
            Assert.True(marked.Done, marked.Message);
            var operatorName = VirtWebFactory.UniqueUserName("e2e-tpl-op");
            await App.CreateUserAsync(operatorName, Roles.Operator);
            await SignInAsync(operatorName, VirtWebFactory.UserPassword);

            await Page.GotoAsync("/templates");
            await Page.WaitForInteractiveAsync();
            var row = Page.Locator($"[data-testid=template-row][data-name='{templateName}']");
            await row.GetByTestId("template-deploy").ClickAsync();
            await Page.Locator("[data-testid=deploy-name] input, input[data-testid=deploy-name]").First.FillAsync($"vwtpl-e2e-{tag}");
            await Page.Locator("[data-testid=deploy-count] input, input[data-testid=deploy-count]").First.FillAsync("2");
            await Page.Locator("[data-testid=deploy-hostname] input, input[data-testid=deploy-hostname]").First.FillAsync($"web{tag}");
            await Page.GetByTestId("deploy-preview").ClickAsync();
            await Expect(Page.GetByTestId("deploy-preview-meta-data")).ToContainTextAsync($"local-hostname: web{tag}-1");

            await Page.GetByTestId("deploy-submit").ClickAsync();

            await Expect(Page.GetByTestId("deploy-progress")).ToBeVisibleAsync();
            var guests = Page.GetByTestId("deploy-guest");
            await Expect(guests).ToHaveCountAsync(2);
            foreach (var index in new[] { 1, 2 })
            {
                var guest = Page.Locator($"[data-testid=deploy-guest][data-name='vwtpl-e2e-{tag}-{index}']");
                await Expect(guest).ToHaveAttributeAsync("data-step", "Done", new() { Timeout = 90_000 });
                await Expect(guest.GetByTestId("deploy-guest-state")).ToContainTextAsync("Running", Slow);
            }

            await Expect(Page.GetByTestId("deploy-summary")).ToContainTextAsync("2 of 2 finished");
        }
        finally
        {
            await Task.Run(() =>
            {
                foreach (var domain in connection.ListDomains())
                {
                    using (domain)
                    {
                        if (domain.Name.StartsWith($"vwtpl-e2e-{tag}", StringComparison.Ordinal))
                        {
                            if (domain.IsActive)
                            {
                                domain.Destroy();
                            }

                            domain.Undefine();
                        }
                    }
                }
            });
        }
    }
}

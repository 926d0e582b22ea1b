using VirtWeb.Libvirt.Xml;
using VirtWeb.Networks;
using VirtWeb.TestGuest;

namespace VirtWeb.EndToEnd;

/// <summary>
/// Issue #17 in the browser, three users in three browser contexts: a Viewer sees networks and leases and no actions;
/// an Operator attaches a card to a running tiny guest; an Administrator creates and deletes a network; each change
/// reaches the Viewer's open page without a reload. Networks are vwnet-… (bridges vwn…) and removed whatever happens.
/// </summary>
public sealed class NetworksTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    private static readonly TimeSpan BootDeadline = TimeSpan.FromSeconds(120);
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 90_000 };

    private static ClaimsPrincipal Admin { get; } =
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "root"), new Claim(ClaimTypes.Role, Roles.Administrator)], "test"));

    [Fact]
    public async Task Networks_ViewerWatchesOperatorAttachAndAdministratorCreateAndDelete_AllLive()
    {
        var id = Guid.NewGuid().ToString("N");
        var nat = $"vwnet-{id[..10]}";
        var created = $"vwnet-{id[10..20]}";
        var host = await App.WithScopeAsync(services => services.GetRequiredService<HostService>().AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("e2e-net"), "qemu:///system")));
        var contexts = new List<IBrowserContext>();
        try
        {
            var store = App.Services.GetRequiredService<LiveStateStore>();
            await Eventually.ValueAsync(() => store.Hosts.Find(host.Id.ToString()), h => h.Connection == HostConnectionState.Connected, TimeSpan.FromSeconds(30), "qemu:///system connects");
            var octet = Convert.FromHexString(id[20..22])[0];
            await App.Services.GetRequiredService<NetworkService>().CreateAsync(Admin, host.Id,
                new NetworkInput(nat, NetworkMode.Nat, $"10.{140 + octet % 10}.{octet}.1/24", $"10.{140 + octet % 10}.{octet}.100", $"10.{140 + octet % 10}.{octet}.150", $"vwn{id[..10]}", Autostart: false));
            await using var guest = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwnet-e2e", Network = nat, Mac = "52:54:00:7e:03:01" }, BootDeadline);

            // The Viewer: the network, its mode in words, the lease joined to the guest, and no action anywhere.
            var viewerName = VirtWebFactory.UniqueUserName("e2e-net-view");
            await App.CreateUserAsync(viewerName, Roles.Viewer);
            await SignInAsync(viewerName, VirtWebFactory.UserPassword);
            await Page.GotoAsync("/networks");
            await Page.WaitForInteractiveAsync();
            var card = Page.Locator($"[data-testid=network][data-host='{host.Id}'][data-network='{nat}']");
            await Expect(card).ToBeVisibleAsync(Visible);
            await Expect(card.GetByTestId("network-mode-explained")).ToContainTextAsync("from outside nobody reaches the guests");
            await Expect(card.GetByTestId("lease-guest")).ToHaveTextAsync(guest.Name, new() { Timeout = 90_000 });
            await Expect(card.GetByTestId("lease-client-id")).ToContainTextAsync("ff:");
            await Expect(Page.Locator("[data-testid=add-network], [data-testid=network-stop], [data-testid=network-delete], [data-testid=network-dhcp-edit]")).ToHaveCountAsync(0);
            await Expect(card.GetByTestId("network-guest")).ToHaveCountAsync(1);

            // The Operator attaches a second card on the same network from the guest page.
            var operatorPage = await SignedInPageAsync(contexts, Roles.Operator);
            await operatorPage.GotoAsync($"/guests/{host.Id}/{guest.Domain.Uuid}");
            await operatorPage.WaitForInteractiveAsync();
            await operatorPage.GetByRole(AriaRole.Tab, new() { Name = "Interfaces" }).ClickAsync();
            await Expect(operatorPage.GetByTestId("nic")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await operatorPage.GetByTestId("nic-attach-network").ClickAsync();
            await operatorPage.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = nat }).ClickAsync();
            await Expect(operatorPage.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
            await operatorPage.GetByTestId("nic-attach").ClickAsync();
            await Expect(operatorPage.GetByTestId("nic")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
            await Expect(operatorPage.GetByTestId("nic-error")).ToHaveCountAsync(0);

            // ... and the Viewer's page shows the second card on the network without a reload.
            await Expect(card.GetByTestId("network-guest")).ToHaveCountAsync(2, new() { Timeout = 30_000 });

            // The Administrator creates a network on the same host and deletes it; the Viewer sees both.
            var adminPage = await SignedInPageAsync(contexts, null);
            await adminPage.GotoAsync("/networks");
            await adminPage.WaitForInteractiveAsync();
            await adminPage.GetByTestId("add-network").ClickAsync();
            var dialog = adminPage.GetByRole(AriaRole.Dialog);
            await dialog.GetByTestId("network-host-input").ClickAsync();
            await adminPage.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = store.Hosts.Find(host.Id.ToString())!.Name }).ClickAsync();
            await dialog.GetByTestId("network-name-input").FillAsync(created);
            var cidr = dialog.GetByTestId("network-cidr-input");
            await cidr.FillAsync($"10.{150 + octet % 10}.{octet}.1/24");
            await dialog.GetByTestId("network-dhcp-start-input").FillAsync($"10.{150 + octet % 10}.{octet}.10");
            await dialog.GetByTestId("network-dhcp-end-input").FillAsync($"10.{150 + octet % 10}.{octet}.20");
            await dialog.GetByTestId("network-submit").ClickAsync();
            await Expect(dialog).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            var createdCard = Page.Locator($"[data-testid=network][data-host='{host.Id}'][data-network='{created}']");
            await Expect(createdCard).ToBeVisibleAsync(Visible);
            await Expect(createdCard.GetByTestId("network-state")).ToHaveTextAsync("active");

            await adminPage.Locator($"[data-testid=network][data-host='{host.Id}'][data-network='{created}']").GetByTestId("network-delete").ClickAsync();
            await adminPage.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
            await Expect(createdCard).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            Assert.Empty(ConsoleErrors);
        }
        finally
        {
            foreach (var context in contexts)
            {
                await context.DisposeAsync();
            }

            VirtWeb.IntegrationTests.Networks.NetworkWorld.RemoveQemuNetworks([nat, created]);
            await App.WithScopeAsync(async services =>
            {
                await services.GetRequiredService<HostService>().RemoveAsync(Admin, host.Id);
                return true;
            });
        }
    }

    /// <summary>A second browser context, signed in as a new user of <paramref name="role"/> (null: the Administrator).</summary>
    private async Task<IPage> SignedInPageAsync(List<IBrowserContext> contexts, string? role)
    {
        var context = await Browser.Browser.NewContextAsync(new() { BaseURL = App.ServerAddress.ToString() });
        contexts.Add(context);
        var page = await context.NewPageAsync();
        var (name, password) = (VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        if (role is not null)
        {
            name = VirtWebFactory.UniqueUserName("e2e-net-" + role.ToLowerInvariant());
            password = VirtWebFactory.UserPassword;
            await App.CreateUserAsync(name, role);
        }

        await SignInAsync(name, password, page);
        return page;
    }
}

using VirtWeb.TestGuest;

namespace VirtWeb.EndToEnd;

/// <summary>
/// Issue #7 in the browser: a guest and a raw clone of its disk run on libvirtd + QEMU with the same machine ID; the
/// Machine IDs page shows them as one duplicate group of two, and an Operator's Regenerate clears it without a reload.
/// </summary>
public sealed class MachineIdsTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser)
{
    // TCG boots on a loaded 2-core machine, then the agent read: generous, and only a deadline.
    private static readonly TimeSpan BootDeadline = TimeSpan.FromSeconds(120);
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 90_000 };

    private static ClaimsPrincipal Admin { get; } =
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "root"), new Claim(ClaimTypes.Role, Roles.Administrator)], "test"));

    [Fact]
    public async Task MachineIdsPage_GuestAndRawClone_OneGroupOfTwoThatRegenerateClearsLive()
    {
        var host = await App.WithScopeAsync(services => services.GetRequiredService<HostService>().AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("e2e-mid"), "qemu:///system")));
        try
        {
            var store = App.Services.GetRequiredService<LiveStateStore>();
            await Eventually.ValueAsync(() => store.Hosts.Find(host.Id.ToString()), h => h.Connection == HostConnectionState.Connected, TimeSpan.FromSeconds(30), "qemu:///system connects");

            await using var source = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwmid-e2e-a" }, BootDeadline);
            var shared = await source.ReadMachineIdAsync();
            await source.ShutdownAsync(deadline: BootDeadline);
            var rawClone = await source.CloneDiskAsync();
            await using var clone = TinyGuest.Define(new TinyGuestOptions { NamePrefix = "vwmid-e2e-b", Disk = rawClone });
            await source.StartAsync(BootDeadline);
            await clone.StartAsync(BootDeadline);

            var operatorName = VirtWebFactory.UniqueUserName("e2e-mid-op");
            await App.CreateUserAsync(operatorName, Roles.Operator);
            await SignInAsync(operatorName, VirtWebFactory.UserPassword);
            await Page.GotoAsync("/machine-ids");
            await Page.WaitForInteractiveAsync();

            var group = Page.Locator($"[data-testid=machineid-duplicate-group][data-machineid='{shared}']");
            await Expect(group).ToBeVisibleAsync(Visible);
            await Expect(group.GetByTestId("machineid-duplicate-holder")).ToHaveCountAsync(2, new() { Timeout = 90_000 });
            await Expect(group).ToContainTextAsync(source.Name);
            await Expect(group).ToContainTextAsync(clone.Name);

            await group.GetByRole(AriaRole.Button, new() { Name = $"Regenerate {clone.Name}'s machine ID", Exact = true }).ClickAsync();

            await Expect(group).ToHaveCountAsync(0, new() { Timeout = 90_000 });
            var newId = await clone.ReadMachineIdAsync();
            Assert.NotEqual(shared, newId);
            Assert.Equal(shared, await source.ReadMachineIdAsync());
            var table = Page.GetByTestId("machineid-table");
            await Expect(table).ToContainTextAsync(newId);
            await Expect(table).ToContainTextAsync(shared);
        }
        finally
        {
            // Other browser tests expect one qemu:///system host in the shared app; leave it as found.
            await App.WithScopeAsync(async services =>
            {
                await services.GetRequiredService<HostService>().RemoveAsync(Admin, host.Id);
                return true;
            });
        }
    }
}

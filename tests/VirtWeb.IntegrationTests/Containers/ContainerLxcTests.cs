using System.Text;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components.Authorization;
using VirtWeb.Components;
using VirtWeb.Containers;
using VirtWeb.IntegrationTests.Images;
using VirtWeb.TestGuest;

namespace VirtWeb.IntegrationTests.Containers;

/// <summary>
/// Containers on the machine's libvirtd (lxc:///, the LXC driver beside QEMU), created through
/// <see cref="ContainerCreationService"/>. Every container is named vwlxc-… and undefined on dispose, test failed or not.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ContainerLxcTests(VirtWebFactory factory) : IntegrationTest(factory), IAsyncLifetime
{
    private Guid _hostId;

    private ContainerCreationService Creation => Service<ContainerCreationService>();

    private LibvirtConnection Lxc => Service<IHostConnections>().GetConnection(_hostId);

    public async Task InitializeAsync() => _hostId = await LxcHostAsync();

    public Task DisposeAsync() => Task.Run(() =>
    {
        foreach (var domain in Lxc.ListDomains())
        {
            using (domain)
            {
                if (!domain.Name.StartsWith("vwlxc-", StringComparison.Ordinal))
                {
                    continue;
                }

                try
                {
                    if (domain.IsActive)
                    {
                        domain.Destroy();
                    }

                    domain.Undefine();
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                {
                }
            }
        }
    });

    [Fact]
    public async Task Create_ApplicationShell_RunsAsContainerWhoseConsoleAnswersWithTheHostKernel()
    {
        var created = await Creation.CreateAsync(QemuPool.Administrator, Input(ContainerKind.Application, command: "/bin/sh"));

        var row = await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(_hostId, created.Uuid)),
            g => g.State == DomainState.Running, Deadline, "the container's row reads Running");
        Assert.Equal(GuestKind.Container, row.Kind);

        using var domain = Lxc.GetDomainByUuid(created.Uuid);
        using var timeout = new CancellationTokenSource(Deadline);
        using var console = domain.OpenConsole();
        var hostRelease = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

        // The marker is what the container's shell expands, so finding it proves the command ran there.
        await console.WriteAsync("echo vwlxc-kernel-$(uname -r)-end\n"u8.ToArray(), timeout.Token);
        await ReadUntilAsync(console, $"vwlxc-kernel-{hostRelease}-end", timeout.Token);
    }

    [Fact]
    public async Task Lifecycle_FreezeThawForceOffStartDelete_EachStateReachesTheRow()
    {
        var created = await Creation.CreateAsync(QemuPool.Administrator, Input(ContainerKind.Application, command: "/bin/sh"));
        var key = GuestState.KeyOf(_hostId, created.Uuid);
        var guests = Service<GuestService>();

        async Task RunAndSee(GuestAction action, DomainState expected)
        {
            var result = await guests.RunAsync(QemuPool.Operator, _hostId, created.Uuid, action);
            Assert.True(result.Done, result.Message);
            await Eventually.ValueAsync(() => Store.Guests.Find(key), g => g.State == expected, Deadline, $"{action} makes the row {expected}");
        }

        await RunAndSee(GuestAction.Pause, DomainState.Paused);
        await RunAndSee(GuestAction.Resume, DomainState.Running);
        await RunAndSee(GuestAction.ForceOff, DomainState.Shutoff);
        await RunAndSee(GuestAction.Start, DomainState.Running);
        await RunAndSee(GuestAction.ForceOff, DomainState.Shutoff);

        var deleted = await guests.DeleteAsync(QemuPool.Operator, _hostId, created.Uuid, created.Name, deleteDisks: false);
        Assert.True(deleted.Done, deleted.Message);
        await Eventually.ValueAsync(() => Store.Guests.Find(key) is null ? "gone" : null, _ => true, Deadline, "the deleted container leaves the list");
    }

    [Fact]
    public async Task Kernels_ContainerBesideTheTinyVm_ThePanelShowsTheVmsOwnKernelBesideTheHosts()
    {
        var qemuHost = await QemuPool.QemuHostAsync(Factory);
        await using var vm = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwlxc-vm" }, TimeSpan.FromSeconds(120));
        var container = await Creation.CreateAsync(QemuPool.Administrator, Input(ContainerKind.Application, command: "/bin/sh"));
        var vmRow = await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(qemuHost, vm.Domain.Uuid)),
            g => g.State == DomainState.Running && g.HasAgent, TimeSpan.FromSeconds(60), "the tiny VM's agent is connected");
        var hostRelease = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

        var kernels = await Service<GuestKernels>().ReadSideBySideAsync(QemuPool.Administrator, vmRow);

        var ownKernel = await vm.Agent.ExecuteAsync("guest-get-osinfo");
        Assert.Equal(2, kernels.Count);
        var (vmKernel, containerKernel) = (kernels[0], kernels[1]);
        Assert.Equal((GuestKind.VirtualMachine, vm.Domain.Uuid), (vmKernel.Guest.Kind, vmKernel.Guest.Uuid));
        Assert.Equal(ownKernel.GetProperty("kernel-release").GetString(), vmKernel.Release);
        Assert.NotEqual(hostRelease, vmKernel.Release);
        Assert.Contains("hypervisor", vmKernel.Hypervisor, StringComparison.Ordinal);
        Assert.Equal((GuestKind.Container, container.Uuid), (containerKernel.Guest.Kind, containerKernel.Guest.Uuid));
        Assert.Equal(hostRelease, containerKernel.Release);
        Assert.StartsWith("none", containerKernel.Hypervisor, StringComparison.Ordinal);

        // The guest page's panel, rendered on the same services: both kernels side by side, each with its hypervisor line.
        await using var bunit = new BunitContext();
        bunit.Services.AddComponentsServices(mud => mud.PopoverOptions.CheckForPopoverProvider = false);
        bunit.Services.AddSingleton(Service<GuestKernels>());
        bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        var authorization = bunit.AddAuthorization();
        authorization.SetAuthorized("vwlxc-viewer");
        authorization.SetRoles(Roles.Viewer);
        authorization.SetClaims(new Claim(ClaimTypes.Role, Roles.Viewer));
        var panel = bunit.Render<CascadingAuthenticationState>(p => p.AddChildContent<KernelPanel>(k => k.Add(x => x.Guest, vmRow)));
        panel.WaitForAssertion(() =>
        {
            var cards = panel.FindAll("[data-testid=guest-kernel]");
            Assert.Equal(["VM", "Container"], cards.Select(c => c.GetAttribute("data-kind")));
            Assert.Equal(vmKernel.Release, cards[0].QuerySelector("[data-testid=guest-kernel-release]")!.TextContent);
            Assert.Equal(hostRelease, cards[1].QuerySelector("[data-testid=guest-kernel-release]")!.TextContent);
            Assert.Contains(vm.Domain.Name, cards[0].TextContent, StringComparison.Ordinal);
            Assert.Contains(container.Name, cards[1].TextContent, StringComparison.Ordinal);
            Assert.Contains("Hypervisor: none", cards[1].QuerySelector("[data-testid=guest-kernel-hypervisor]")!.TextContent, StringComparison.Ordinal);
        }, Deadline);
    }

    [Fact]
    public async Task Usage_RunningContainer_CpuAndMemoryFromWhatTheLxcDriverGives()
    {
        // libvirt's LXC driver has no bulk stats call (virConnectGetAllDomainStats): the sampler reads virDomainGetInfo.
        var created = await Creation.CreateAsync(QemuPool.Administrator, Input(ContainerKind.Application, command: "/bin/sh"));
        var key = GuestState.KeyOf(_hostId, created.Uuid);

        // Two rounds make a rate; a full round comes every 10 s.
        var usage = await Eventually.ValueAsync(() => Service<VirtWeb.Usage.UsageLive>().Guests.Find(key),
            u => u.CpuPercent is not null && u.MemoryUsedKiB > 0, TimeSpan.FromSeconds(60), "the container's usage is sampled twice");

        using var domain = Lxc.GetDomainByUuid(created.Uuid);
        Assert.Equal(domain.GetInfo().MaxMemoryKiB, usage.MemoryTotalKiB);
        Assert.True(usage.MemoryUsedKiB <= usage.MemoryTotalKiB, $"used {usage.MemoryUsedKiB} KiB of {usage.MemoryTotalKiB} KiB");
    }

    [Theory]
    [InlineData(ContainerKind.System, null, "/var/lib/libvirt/filesystems/vwlxc-missing", 64, "does not exist")]
    [InlineData(ContainerKind.System, null, "/etc", 64, "must be a directory inside")]
    [InlineData(ContainerKind.Application, "/bin/true", null, 64, "exited at once")]
    [InlineData(ContainerKind.Application, "/bin/vwlxc-no-such-program", null, 64, "There is no program")]
    [InlineData(ContainerKind.Application, "/bin/sh", null, 0, "at least 16 MiB")]
    public async Task Create_BadInput_ClearMessageAndNothingDefined(ContainerKind kind, string? command, string? root, int memoryMiB, string expected)
    {
        var input = Input(kind, command, root, memoryMiB);

        var e = await Assert.ThrowsAsync<GuestActionException>(() => Creation.CreateAsync(QemuPool.Administrator, input));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.False(GuestLookups.DomainExists(Lxc, input.Name), $"{input.Name} was left defined after: {e.Message}");
    }

    [Fact]
    public async Task Create_ByAnOperator_IsRefusedBeforeAnythingIsDefined()
    {
        var input = Input(ContainerKind.Application, command: "/bin/sh");

        await Assert.ThrowsAsync<AccessDeniedException>(() => Creation.CreateAsync(QemuPool.Operator, input));

        Assert.False(GuestLookups.DomainExists(Lxc, input.Name));
    }

    private ContainerCreateInput Input(ContainerKind kind, string? command = null, string? root = null, int memoryMiB = 64) =>
        new(_hostId, $"vwlxc-{Guid.NewGuid():N}"[..18], kind, memoryMiB, command, root);

    private async Task<Guid> LxcHostAsync()
    {
        Guid? hostId = Store.Hosts.Current(h => h.Uri == "lxc:///").FirstOrDefault()?.HostId;
        if (hostId is null)
        {
            var host = await WithScopeAsync(services =>
                services.GetRequiredService<HostService>().AddAsync(QemuPool.Administrator, new HostInput(VirtWebFactory.UniqueUserName("lxc"), "lxc:///")));
            hostId = host.Id;
        }

        await Eventually.ValueAsync(() => Store.Hosts.Find(hostId.Value.ToString()), h => h.Connection == HostConnectionState.Connected,
            Deadline, "lxc:/// connects (is libvirtd running with the LXC driver?)");
        return hostId.Value;
    }

    private static async Task ReadUntilAsync(LibvirtConsoleStream console, string marker, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        var buffer = new byte[4096];
        while (!output.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var read = await console.ReadAsync(buffer, cancellationToken);
            Assert.True(read > 0, $"the console closed before '{marker}' appeared; it showed: {output}");
            output.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
    }
}

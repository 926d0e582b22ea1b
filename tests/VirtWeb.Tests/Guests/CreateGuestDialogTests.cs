using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor;

namespace VirtWeb.Tests.Guests;

public sealed class CreateGuestDialogTests : ComponentTest
{
    private static readonly Guid HostId = Guid.NewGuid();
    private static readonly Guid OtherHostId = Guid.NewGuid();

    [Fact]
    public async Task CreateGuestDialog_Files_PickedFromVolumesOfPoolsInsideTheRootsOnTheChosenHost()
    {
        Context.SignInAs("olga", Roles.Operator);
        var images = Pool(HostId, "images");
        var media = Pool(HostId, "media");
        var outside = Pool(HostId, "etc") with { OutsideRoots = true };
        var stopped = Pool(HostId, "cold") with { State = StoragePoolState.Inactive };
        var elsewhere = Pool(OtherHostId, "images");
        foreach (var pool in new[] { images, media, outside, stopped, elsewhere })
        {
            Upsert(Store.Pools, pool);
        }

        foreach (var volume in new[]
        {
            Volume(images, "web.qcow2"), Volume(images, "vmlinuz"), Volume(media, "debian.iso"),
            Volume(outside, "passwd"), Volume(outside, "rescue.iso"), Volume(elsewhere, "other.iso"),
        })
        {
            Upsert(Store.Volumes, volume);
        }

        var dialog = await OpenAsync();

        dialog.WaitForAssertion(() => Assert.Equal(["debian.iso"], Picker(dialog, "create-iso").Volumes.Select(v => v.Name)));
        Assert.Equal("images", PoolChosen(dialog));
        // No free-text path anywhere in the form.
        Assert.DoesNotContain(dialog.FindComponents<MudTextField<string>>(), f => f.Instance.Label?.Contains("path", StringComparison.OrdinalIgnoreCase) == true);

        var boot = dialog.FindComponents<MudSelect<GuestBootChoice>>().Single();
        await dialog.InvokeAsync(() => boot.Instance.ValueChanged.InvokeAsync(GuestBootChoice.Kernel));
        var disk = dialog.FindComponents<MudSelect<GuestDiskChoice>>().Single();
        await dialog.InvokeAsync(() => disk.Instance.ValueChanged.InvokeAsync(GuestDiskChoice.ExistingVolume));

        dialog.WaitForAssertion(() =>
        {
            Assert.Equal(["vmlinuz", "web.qcow2"], Picker(dialog, "create-kernel").Volumes.Select(v => v.Name));
            Assert.Equal(["vmlinuz", "web.qcow2"], Picker(dialog, "create-initrd").Volumes.Select(v => v.Name));
            Assert.Equal(["vmlinuz", "web.qcow2"], Picker(dialog, "create-volume").Volumes.Select(v => v.Name));
            Assert.True(Picker(dialog, "create-initrd").Optional);
        });
    }

    [Fact]
    public async Task CreateGuestDialog_NoPoolInsideTheRoots_SaysWhereVolumesComeFrom()
    {
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Pools, Pool(HostId, "etc") with { OutsideRoots = true });

        var dialog = await OpenAsync();

        dialog.WaitForAssertion(() =>
        {
            Assert.Empty(Picker(dialog, "create-iso").Volumes);
            Assert.Contains("No ISO in a pool inside VirtWeb's storage roots on this host", dialog.Markup);
            Assert.True(string.IsNullOrEmpty(PoolChosen(dialog)));
        });
    }

    [Fact]
    public async Task CreateGuestDialog_Network_PickedFromTheHostsNetworksDefaultFirst()
    {
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Pools, Pool(HostId, "default"));
        Upsert(Store.Networks,
            Network(HostId, "lab", active: false), Network(HostId, "default", active: true), Network(OtherHostId, "elsewhere", active: true));

        var dialog = await OpenAsync();

        dialog.WaitForAssertion(() =>
        {
            Assert.Equal("default (NAT)", dialog.Find("[data-testid=create-network]").TextContent.Trim());
            Assert.Equal("default", PoolChosen(dialog));
        });
        Assert.Equal(["default (NAT)", "lab (Isolated, not running)"], NetworkTexts(dialog));
    }

    [Fact]
    public async Task CreateGuestDialog_HostWithoutPoolOrNetwork_OffersReadyThisHostToAdministrators()
    {
        Context.SignInAs("root", Roles.Administrator);
        Upsert(Store.Hosts, new HostState(HostId, "qemu", "qemu:///system", HostConnectionState.Connected, DateTimeOffset.UtcNow));

        var dialog = await OpenAsync();

        dialog.WaitForAssertion(() =>
        {
            var steps = dialog.FindAll("[data-testid=ready-host-step]").Select(e => e.TextContent).ToList();
            Assert.Equal(2, steps.Count);
            Assert.Contains("Create the directory pool default at /var/lib/libvirt/images", steps[0]);
            Assert.Contains("Create the NAT network default (192.168.122.1/24", steps[1]);
            Assert.Single(dialog.FindAll("[data-testid=ready-host-submit]"));
        });
    }

    [Fact]
    public async Task CreateGuestDialog_OsPresetChosen_RecommendedValuesFillTheFormAndMinimumIsEnforced()
    {
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Pools, Pool(HostId, "default"));
        var presets = Context.Services.GetRequiredService<VirtWeb.Templates.OsPresets>();
        var debian = presets.Search("Debian 12").First(p => p.Name == "Debian 12");
        var dialog = await OpenAsync();
        var autocomplete = dialog.FindComponents<MudAutocomplete<VirtWeb.Templates.OsPreset>>().Single();

        await dialog.InvokeAsync(() => autocomplete.Instance.ValueChanged.InvokeAsync(debian));

        dialog.WaitForAssertion(() =>
        {
            Assert.Equal(1, NumberIn<int>(dialog, "vCPUs"));
            Assert.Equal(2048, NumberIn<int>(dialog, "Memory (MiB)"));
            Assert.Equal(20, NumberIn<int>(dialog, "Size (GiB)"));
            Assert.Contains("Minimum: 1 vCPU, 1024 MiB, 10 GiB", dialog.Markup);
            Assert.Contains("virtio drivers: yes", dialog.Markup);
            Assert.Equal(("virtio", "virtio"), (SelectIn(dialog, "Disk bus"), SelectIn(dialog, "NIC model")));
        });

        var memory = dialog.FindComponents<MudNumericField<int>>().Single(f => f.Instance.Label == "Memory (MiB)");
        await dialog.InvokeAsync(() => memory.Instance.ValueChanged.InvokeAsync(512));
        dialog.WaitForAssertion(() =>
        {
            Assert.Contains("Debian 12 needs at least 1024 MiB", dialog.Markup);
            Assert.True(dialog.Find("[data-testid=create-submit]").HasAttribute("disabled"));
        });
    }

    [Fact]
    public async Task CreateGuestDialog_PresetWithoutVirtio_FillsSataDiskBusAndAnEmulatedNic()
    {
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Pools, Pool(HostId, "default"));
        var presets = Context.Services.GetRequiredService<VirtWeb.Templates.OsPresets>();
        var etch = presets.Find("http://debian.org/debian/4")!;
        var dialog = await OpenAsync();
        var autocomplete = dialog.FindComponents<MudAutocomplete<VirtWeb.Templates.OsPreset>>().Single();

        await dialog.InvokeAsync(() => autocomplete.Instance.ValueChanged.InvokeAsync(etch));

        dialog.WaitForAssertion(() =>
        {
            Assert.Equal(("sata", "e1000"), (SelectIn(dialog, "Disk bus"), SelectIn(dialog, "NIC model")));
            Assert.Contains("no virtio drivers", dialog.Markup);
        });
    }

    [Fact]
    public async Task CreateGuestDialog_IsoWhoseVolumeLabelOsinfoKnows_PreselectsThatOsAndItsValues()
    {
        var media = Pool(HostId, "media");
        var iso = Volume(media, "debian-12.5.0-amd64-netinst.iso");
        Context.Services.Replace(ServiceDescriptor.Singleton<VirtWeb.Templates.IIsoLabelReader>(new FixedIsoLabels(new() { [iso.Path] = "Debian 12.5.0 amd64 n" })));
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Pools, media);
        Upsert(Store.Volumes, iso);
        var dialog = await OpenAsync();

        await ChooseIsoAsync(dialog, iso.Path);

        dialog.WaitForAssertion(() =>
        {
            Assert.Equal("Debian 12", OsIn(dialog)?.Name);
            Assert.Equal((2048, 20), (NumberIn<int>(dialog, "Memory (MiB)"), NumberIn<int>(dialog, "Size (GiB)")));
            Assert.Equal(("virtio", "virtio"), (SelectIn(dialog, "Disk bus"), SelectIn(dialog, "NIC model")));
            Assert.Equal("Volume label 'Debian 12.5.0 amd64 n': Debian 12 (osinfo), chosen below", dialog.Find("[data-testid=create-iso-detected]").TextContent);
        });
    }

    [Fact]
    public async Task CreateGuestDialog_IsoDetectedAfterTheUserChoseAnOs_TheUsersChoiceStaysAndEachLabelIsShown()
    {
        var media = Pool(HostId, "media");
        var iso = Volume(media, "debian.iso");
        var other = Volume(media, "tools.iso");
        var blank = Volume(media, "blank.iso");
        Context.Services.Replace(ServiceDescriptor.Singleton<VirtWeb.Templates.IIsoLabelReader>(
            new FixedIsoLabels(new() { [iso.Path] = "Debian 12.5.0 amd64 n", [other.Path] = "cidata" })));
        Context.SignInAs("olga", Roles.Operator);
        Upsert(Store.Pools, media);
        Upsert(Store.Volumes, iso, other, blank);
        var presets = Context.Services.GetRequiredService<VirtWeb.Templates.OsPresets>();
        var dialog = await OpenAsync();
        var autocomplete = dialog.FindComponents<MudAutocomplete<VirtWeb.Templates.OsPreset>>().Single();
        await dialog.InvokeAsync(() => autocomplete.Instance.ValueChanged.InvokeAsync(presets.Find("http://debian.org/debian/10")));

        await ChooseIsoAsync(dialog, iso.Path);
        dialog.WaitForAssertion(() => Assert.Equal("Volume label 'Debian 12.5.0 amd64 n': Debian 12 (osinfo); the OS you chose below stays",
            dialog.Find("[data-testid=create-iso-detected]").TextContent));
        await ChooseIsoAsync(dialog, other.Path);

        dialog.WaitForAssertion(() =>
        {
            Assert.Equal("Volume label 'cidata': osinfo does not know it; choose the OS below.", dialog.Find("[data-testid=create-iso-detected]").TextContent);
            Assert.Equal("Debian 10", OsIn(dialog)?.Name);
        });
        await ChooseIsoAsync(dialog, blank.Path);
        dialog.WaitForAssertion(() => Assert.Equal("VirtWeb found no ISO 9660 volume label in it; choose the OS below.",
            dialog.Find("[data-testid=create-iso-detected]").TextContent));
    }

    private static async Task ChooseIsoAsync(IRenderedComponent<MudDialogProvider> dialog, string path)
    {
        var picker = dialog.FindComponents<VolumePicker>().Single(p => p.Instance.TestId == "create-iso");
        var select = picker.FindComponent<MudSelect<string>>();
        await dialog.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(path));
    }

    /// <summary>The labels of ISOs the test names; the real reader (through libvirt) is tested on libvirtd in IsoOsDetectionQemuTests.</summary>
    private sealed class FixedIsoLabels(Dictionary<string, string> labels) : VirtWeb.Templates.IIsoLabelReader
    {
        public Task<string?> ReadAsync(Guid hostId, string path, CancellationToken cancellationToken = default) =>
            Task.FromResult(labels.GetValueOrDefault(path));
    }

    // What the field shows: a test reads the parameter the dialog bound, which the analyzer guards against for app code.
#pragma warning disable MUD0012
    private static T NumberIn<T>(IRenderedComponent<MudDialogProvider> dialog, string label) =>
        dialog.FindComponents<MudNumericField<T>>().Single(f => f.Instance.Label == label).Instance.Value!;

    private static VirtWeb.Templates.OsPreset? OsIn(IRenderedComponent<MudDialogProvider> dialog) =>
        dialog.FindComponents<MudAutocomplete<VirtWeb.Templates.OsPreset>>().Single().Instance.Value;

    private static string? SelectIn(IRenderedComponent<MudDialogProvider> dialog, string label) =>
        dialog.FindComponents<MudSelect<string>>().Single(f => f.Instance.Label == label).Instance.Value;
#pragma warning restore MUD0012

    private static List<string> NetworkTexts(IRenderedComponent<MudDialogProvider> dialog) =>
        dialog.FindComponents<CreateGuestDialog>().Single().Instance.NetworkChoices.Select(c => c.Text).ToList();

    private static VirtWeb.Networks.NetworkState Network(Guid hostId, string name, bool active) => new(
        hostId, "qemu", Guid.NewGuid(), name, name == "lab" ? NetworkMode.Isolated : NetworkMode.Nat, null, null, "virbr0", active, true, true, []);

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync()
    {
        Context.Render<MudPopoverProvider>();
        var provider = Context.Render<MudDialogProvider>();
        var dialogs = Context.Services.GetRequiredService<IDialogService>();
        var hosts = new List<HostState> { new(HostId, "qemu", "qemu:///system", HostConnectionState.Connected, DateTimeOffset.UtcNow) };
        await provider.InvokeAsync(() => dialogs.ShowAsync<CreateGuestDialog>("New guest", new DialogParameters<CreateGuestDialog> { { d => d.Hosts, hosts } }));
        provider.WaitForAssertion(() => Assert.Single(provider.FindAll("[data-testid=create-submit]")));
        return provider;
    }

    private static VolumePicker Picker(IRenderedComponent<MudDialogProvider> dialog, string testId) =>
        dialog.FindComponents<VolumePicker>().Single(p => p.Instance.TestId == testId).Instance;

    // MudSelect puts the test id on the element showing the chosen item in this MudBlazor version.
    private static string PoolChosen(IRenderedComponent<MudDialogProvider> dialog) =>
        dialog.Find("[data-testid=create-pool]").TextContent.Trim();

    private static PoolState Pool(Guid hostId, string name) => new(
        hostId, "qemu", Guid.NewGuid(), name, "dir", StoragePoolState.Running, Autostart: true, Persistent: true,
        100UL << 30, 10UL << 30, 90UL << 30, $"/var/lib/libvirt/images/{name}");

    private static VolumeState Volume(PoolState pool, string name) => new(
        pool.HostId, pool.Uuid, pool.Name, name, $"{pool.TargetPath}/{name}", name.EndsWith(".iso", StringComparison.Ordinal) ? "iso" : "raw",
        StorageVolumeType.File, 1UL << 30, 1UL << 20, [], []);
}

using System.Xml.Linq;
using MudBlazor;

namespace VirtWeb.Tests.Guests;

public sealed class GuestCloningTests : ComponentTest
{
    private const string Source = """
        <domain type='kvm'>
          <name>web</name>
          <uuid>11111111-0000-0000-0000-000000000001</uuid>
          <memory unit='KiB'>262144</memory>
          <os><type arch='x86_64'>hvm</type><loader type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader><nvram>/var/lib/libvirt/qemu/nvram/web_VARS.fd</nvram></os>
          <devices>
            <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/pool/web.raw'/><backingStore/><target dev='vda' bus='virtio'/></disk>
            <disk type='volume' device='disk'><source pool='data' volume='web-data.qcow2'/><target dev='vdb' bus='virtio'/></disk>
            <disk type='file' device='cdrom'><source file='/iso/debian.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
            <disk type='file' device='disk'><source file='/pool/shared.raw'/><target dev='vdc' bus='virtio'/><shareable/></disk>
            <interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/><target dev='vnet3'/><model type='virtio'/></interface>
            <interface type='bridge'><source bridge='br0'/></interface>
            <graphics type='vnc' port='5901' autoport='no' listen='127.0.0.1'/>
          </devices>
        </domain>
        """;

    [Fact]
    public void CloneXml_TwoCopiedDisks_NewIdentityDisksRewrittenSharedMediaKept()
    {
        var macs = new Queue<string>(["52:54:00:00:00:01", "52:54:00:00:00:02"]);
        var uuid = Guid.NewGuid();
        var disks = new[]
        {
            new ClonedDisk(0, "pool", "web-2.qcow2", "/pool/web-2.qcow2", "qcow2"),
            new ClonedDisk(1, "data", "web-2-vdb.qcow2", "/data/web-2-vdb.qcow2", "qcow2"),
        };

        var xml = GuestCloning.CloneXml(Source, "web-2", uuid, disks, macs.Dequeue);

        var clone = DomainDefinition.Parse(xml);
        Assert.Equal(("web-2", uuid), (clone.Name, clone.Uuid));
        Assert.Equal(
            [("/pool/web-2.qcow2", null, null, "qcow2"), (null, "data", "web-2-vdb.qcow2", "qcow2"), ("/iso/debian.iso", null, null, null), ("/pool/shared.raw", null, null, null)],
            clone.Disks.Select(d => (d.SourceFile, d.SourcePool, d.SourceVolume, d.DriverType)));
        Assert.Equal(["52:54:00:00:00:01", "52:54:00:00:00:02"], clone.Interfaces.Select(i => i.MacAddress));
        Assert.All(clone.Interfaces, i => Assert.Null(i.TargetDev));
        Assert.Equal((null, true), (clone.Graphics[0].Port, clone.Graphics[0].AutoPort));
        var document = XDocument.Parse(xml);
        Assert.Null(document.Root!.Element("os")!.Element("nvram"));
        Assert.NotNull(document.Root!.Element("os")!.Element("loader"));
        Assert.Empty(document.Descendants("backingStore"));
    }

    [Fact]
    public void Copies_OnlyWritableUnsharedDisksWithASource()
    {
        var disks = XDocument.Parse(Source).Descendants("disk").ToList();

        Assert.Equal([true, true, false, false], disks.Select(GuestCloning.Copies));
        Assert.False(GuestCloning.Copies(XElement.Parse("<disk type='file' device='disk'><target dev='vdz'/></disk>")));
    }

    [Fact]
    public void VolumeName_FirstDiskPlainOthersByTarget()
    {
        Assert.Equal("app.qcow2", GuestCloning.VolumeName("app", 0, "vda", "qcow2"));
        Assert.Equal("app-vdb.raw", GuestCloning.VolumeName("app", 1, "vdb", "raw"));
        Assert.Matches("^52:54:00(:[0-9a-f]{2}){3}$", GuestCloning.NewMac());
    }

    [Theory]
    [InlineData(DomainState.Shutoff, false)]
    [InlineData(DomainState.Running, true)]
    public void CloneDialog_ShutOffOrRunning_NamePrefilledAndCloneOnlyWhenShutOff(DomainState state, bool refused)
    {
        Context.SignInAs("olga", Roles.Operator);
        Context.Render<MudPopoverProvider>();
        var provider = Context.Render<MudDialogProvider>();
        var guest = new GuestState(Guid.NewGuid(), "alpha", Guid.NewGuid(), "web", state, "", 1, 262144, 262144,
            VirtualizationMode.Hybrid, GuestKind.VirtualMachine, false, true, false, false, null, false, []);

        // ShowAsync completes when the dialog closes; this test only looks at it open.
        _ = provider.InvokeAsync(() => CloneGuestDialog.ShowAsync(Context.Services.GetRequiredService<IDialogService>(), guest));

        provider.WaitForAssertion(() =>
        {
            Assert.Equal("web-clone", provider.Find("input[data-testid=clone-name], [data-testid=clone-name] input").GetAttribute("value"));
            Assert.Equal(refused, provider.Find("[data-testid=clone-submit]").HasAttribute("disabled"));
            Assert.Equal(refused ? 1 : 0, provider.FindAll("[data-testid=clone-running]").Count);
            Assert.Contains("qcow2 overlay", provider.Markup);
        });
    }

    [Fact]
    public void CloneDialog_Opened_OwnMachineIdIsOnByDefault()
    {
        Context.SignInAs("olga", Roles.Operator);
        Context.Render<MudPopoverProvider>();
        var provider = Context.Render<MudDialogProvider>();
        var guest = new GuestState(Guid.NewGuid(), "alpha", Guid.NewGuid(), "web", DomainState.Shutoff, "", 1, 262144, 262144,
            VirtualizationMode.Hybrid, GuestKind.VirtualMachine, false, true, false, false, null, false, []);

        _ = provider.InvokeAsync(() => CloneGuestDialog.ShowAsync(Context.Services.GetRequiredService<IDialogService>(), guest));

        provider.WaitForAssertion(() =>
        {
            var checkbox = provider.Find("input[type=checkbox][data-testid=clone-new-machine-id], [data-testid=clone-new-machine-id] input[type=checkbox]");
            Assert.True(checkbox.HasAttribute("checked") || checkbox.GetAttribute("aria-checked") == "true", checkbox.OuterHtml);
            Assert.Contains("writes it through the guest agent", provider.Markup, StringComparison.Ordinal);
        });
    }
}

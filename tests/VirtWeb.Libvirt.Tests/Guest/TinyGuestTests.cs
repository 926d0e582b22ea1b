using System.Text;
using VirtWeb.Libvirt.Tests.Qemu;
using VirtWeb.Libvirt.Xml;
using VirtWeb.TestGuest;
using Xunit.Abstractions;

namespace VirtWeb.Libvirt.Tests.Guest;

/// <summary>
/// Issue 4's acceptance against libvirtd + QEMU (TCG): the tiny guest boots to a guest-ping, keeps its machine-id
/// on its disk, takes an SMBIOS credential when fresh, shuts down gracefully and shows something on VNC. Times
/// are printed, never asserted beyond the deadline waits. Three boots in all: one shared running guest, and a
/// source and its clone for the shutdown and clone tests. In the QEMU collection, so guests never boot side by side.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class TinyGuestTests(TinyGuestFixture fixture, ITestOutputHelper output) : IClassFixture<TinyGuestFixture>
{
    [QemuFact]
    public async Task Boot_FreshDiskUnderTcg_AnswersGuestPingWithinDeadline()
    {
        var guest = await fixture.RunningGuestAsync();

        output.WriteLine($"{guest.Name}: boot to guest-ping {guest.BootToPing?.TotalSeconds:0.0} s (deadline {TinyGuest.DefaultBootDeadline.TotalSeconds:0} s)");
        await guest.Agent.PingAsync();
        var osInfo = await guest.Agent.ExecuteAsync("guest-get-osinfo");
        Assert.Equal("virtweb-tiny", osInfo.GetProperty("id").GetString());
    }

    [QemuFact]
    public async Task MachineId_ReadThroughAgent_Is32LowercaseHex()
    {
        var guest = await fixture.RunningGuestAsync();

        var machineId = await guest.ReadMachineIdAsync();

        Assert.Matches("^[0-9a-f]{32}$", machineId);
    }

    [QemuFact]
    public async Task MachineId_FreshDiskWithSmbiosCredential_TakesOfferedId()
    {
        var guest = await fixture.RunningGuestAsync();

        var machineId = await guest.ReadMachineIdAsync();

        Assert.Equal(fixture.OfferedMachineId, machineId);
        Assert.Contains($"booted, machine-id {machineId}", guest.ReadSerialLog());
    }

    [QemuFact]
    public async Task GuestExec_DbusUuidgenGet_PrintsTheMachineId()
    {
        var guest = await fixture.RunningGuestAsync();

        var result = await guest.Agent.ExecAsync("/usr/bin/dbus-uuidgen", ["--get"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(await guest.ReadMachineIdAsync(), result.StandardOutput.Trim());
    }

    [QemuFact]
    public async Task GuestFile_WrittenThroughAgent_ReadsBackTheSame()
    {
        var guest = await fixture.RunningGuestAsync();
        var content = Encoding.UTF8.GetBytes($"written by {nameof(TinyGuestTests)} {Guid.NewGuid()}\n");

        await guest.Agent.WriteFileAsync("/tmp/virtweb-test", content);

        Assert.Equal(content, await guest.Agent.ReadFileAsync("/tmp/virtweb-test"));
    }

    [QemuFact]
    public async Task Vnc_AfterBoot_FramebufferIsNotBlank()
    {
        var guest = await fixture.RunningGuestAsync();
        var (address, port) = guest.GetVncEndpoint();

        var frame = await guest.CaptureScreenAsync();

        output.WriteLine($"VNC {address}:{port} '{frame.DesktopName}': {frame.Width}x{frame.Height}, {frame.CountDistinctColours()} colours");
        Assert.Equal("127.0.0.1", address);
        Assert.True(frame.CountDistinctColours() > 1, "every pixel of the VNC framebuffer has the same colour");
    }

    [QemuFact]
    public async Task Shutdown_AcpiPowerButton_ShutsOffCleanlyWithinDeadline()
    {
        var clone = await fixture.CloneScenarioAsync();

        output.WriteLine($"source boot to guest-ping {clone.SourceBootToPing.TotalSeconds:0.0} s; ACPI shutdown {clone.SourceShutdown.TotalSeconds:0.0} s (deadline {TinyGuest.DefaultShutdownDeadline.TotalSeconds:0} s)");
        Assert.Equal(DomainShutoffReason.Shutdown, clone.SourceShutoffReason);
        // The clone is the source's disk: had the source not unmounted it, ext4 would replay its journal.
        Assert.DoesNotContain("recovery complete", clone.CloneSerialLog);
    }

    [QemuFact]
    public async Task Shutdown_GuestAgent_ShutsOffWithinDeadline()
    {
        var clone = await fixture.CloneScenarioAsync();

        output.WriteLine($"guest-shutdown {clone.CloneShutdown.TotalSeconds:0.0} s (deadline {TinyGuest.DefaultShutdownDeadline.TotalSeconds:0} s)");
        Assert.Equal(DomainShutoffReason.Shutdown, clone.CloneShutoffReason);
    }

    [QemuFact]
    public async Task Clone_DiskOfShutOffGuest_BootsWithSameMachineIdDespiteNewCredential()
    {
        var clone = await fixture.CloneScenarioAsync();

        output.WriteLine($"clone boot to guest-ping {clone.CloneBootToPing.TotalSeconds:0.0} s; source id {clone.SourceMachineId}, offered {clone.CloneOfferedMachineId}");
        Assert.NotEqual(clone.SourceMachineId, clone.CloneOfferedMachineId);
        Assert.Equal(clone.SourceMachineId, clone.CloneMachineId);
    }

    [Fact]
    public void Image_DirectoryNotSet_ThrowsNamingTestSh()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => TinyGuestImage.FromDirectory(null));

        Assert.Contains(TinyGuestImage.EnvironmentVariable, exception.Message);
        Assert.Contains("./test.sh", exception.Message);
    }

    [Fact]
    public void Image_DirectoryWithoutBuild_ThrowsNamingTestSh()
    {
        var empty = Directory.CreateTempSubdirectory("virtweb-no-guest-").FullName;
        try
        {
            var exception = Assert.Throws<InvalidOperationException>(() => TinyGuestImage.FromDirectory(empty));

            Assert.Contains("./test.sh", exception.Message);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void DomainXml_WithMachineId_OffersCredentialOnLoopbackVncWithAgentChannel()
    {
        var definition = DomainDefinition.Parse(BuildXml(machineId: "0123456789abcdef0123456789abcdef"));

        Assert.Equal("virtweb-test-xml", definition.Name);
        Assert.Equal(["io.systemd.credential:system.machine_id=0123456789abcdef0123456789abcdef"], definition.OemStrings);
        Assert.Equal("127.0.0.1", Assert.Single(definition.Graphics).ListenAddress);
        Assert.Contains(definition.Channels, c => c.TargetName == "org.qemu.guest_agent.0");
        Assert.Equal(("/work/vmlinuz", "/work/initrd.img", "console=ttyS0"), (definition.Os.Kernel, definition.Os.Initrd, definition.Os.Cmdline));
        Assert.Equal("/work/disk.qcow2", Assert.Single(definition.Disks).SourceFile);
    }

    [Fact]
    public void DomainXml_WithoutMachineId_LeavesSmbiosCredentialOut()
    {
        var xml = BuildXml(machineId: null);

        Assert.Empty(DomainDefinition.Parse(xml).OemStrings);
        Assert.DoesNotContain("smbios", xml);
        Assert.DoesNotContain("@", xml);
    }

    private static string BuildXml(string? machineId)
    {
        using var stream = typeof(TinyGuest).Assembly.GetManifestResourceStream(TinyGuest.TemplateResourceName)!;
        using var reader = new StreamReader(stream);
        return TinyGuest.BuildDomainXml(reader.ReadToEnd(), new Dictionary<string, string>
        {
            ["NAME"] = "virtweb-test-xml",
            ["KERNEL"] = "/work/vmlinuz",
            ["INITRD"] = "/work/initrd.img",
            ["CMDLINE"] = "console=ttyS0",
            ["DISK"] = "/work/disk.qcow2",
            ["VNC_LISTEN"] = "127.0.0.1",
            ["SERIAL_LOG"] = "/work/serial.log",
            ["MACHINE_ID"] = machineId ?? "",
        }, includeMachineId: machineId is not null);
    }
}

/// <summary>What the shutdown and clone tests share: a source guest booted, shut down by ACPI, its disk cloned and booted.</summary>
internal sealed record CloneScenario(
    string SourceMachineId,
    TimeSpan SourceBootToPing,
    TimeSpan SourceShutdown,
    DomainShutoffReason SourceShutoffReason,
    string CloneOfferedMachineId,
    string CloneMachineId,
    TimeSpan CloneBootToPing,
    TimeSpan CloneShutdown,
    DomainShutoffReason CloneShutoffReason,
    string CloneSerialLog);

/// <summary>
/// Boots lazily, so the tests that need no guest (and skipped runs) boot nothing, and each guest boots once
/// whichever test asks first. The running guest stays up for the whole class; the clone scenario shuts its own
/// guests down, so test order never matters.
/// </summary>
public sealed class TinyGuestFixture : IAsyncLifetime
{
    private readonly Lazy<Task<TinyGuest>> _running;
    private readonly Lazy<Task<CloneScenario>> _clone;

    public TinyGuestFixture()
    {
        _running = new(() => TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "tiny", MachineId = OfferedMachineId }));
        _clone = new(RunCloneScenarioAsync);
    }

    internal string OfferedMachineId { get; } = TinyGuest.NewMachineId();

    internal Task<TinyGuest> RunningGuestAsync() => _running.Value;

    internal Task<CloneScenario> CloneScenarioAsync() => _clone.Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_running.IsValueCreated && _running.Value.IsCompletedSuccessfully)
        {
            await _running.Value.Result.DisposeAsync();
        }
    }

    private static async Task<CloneScenario> RunCloneScenarioAsync()
    {
        await using var source = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "source", MachineId = TinyGuest.NewMachineId() });
        var sourceMachineId = await source.ReadMachineIdAsync();
        var sourceShutdown = await source.ShutdownAsync(DomainShutdownFlags.AcpiPowerButton);
        var sourceReason = (DomainShutoffReason)source.Domain.GetState().Reason;
        var disk = await source.CloneDiskAsync();

        // A different credential: a disk that already has an id must ignore it, as systemd does.
        var offered = TinyGuest.NewMachineId();
        await using var clone = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "clone", MachineId = offered, Disk = disk });
        var cloneMachineId = await clone.ReadMachineIdAsync();
        var cloneShutdown = await clone.ShutdownAsync(DomainShutdownFlags.GuestAgent);
        var cloneReason = (DomainShutoffReason)clone.Domain.GetState().Reason;

        return new CloneScenario(
            sourceMachineId, source.BootToPing!.Value, sourceShutdown, sourceReason,
            offered, cloneMachineId, clone.BootToPing!.Value, cloneShutdown, cloneReason, clone.ReadSerialLog());
    }
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using VirtWeb.Libvirt;

namespace VirtWeb.TestGuest;

/// <summary>
/// The output of <c>tests/guest/build-guest.sh</c>: kernel, initramfs, a fresh qcow2 system disk and the manifest.
/// Shared by every guest and never handed to libvirt itself (see <see cref="TinyGuest"/>).
/// </summary>
internal sealed record TinyGuestImage(string Directory, string Kernel, string Initrd, string Disk, string Cmdline)
{
    /// <summary>Set by <c>./test.sh</c> to the build output directory.</summary>
    public const string EnvironmentVariable = "VIRTWEB_TEST_GUEST_DIR";

    private static readonly Lazy<TinyGuestImage> FromEnvironmentOnce = new(() => FromDirectory(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    public static TinyGuestImage FromEnvironment() => FromEnvironmentOnce.Value;

    public static TinyGuestImage FromDirectory(string? directory)
    {
        const string HowToGetIt =
            "./test.sh builds the tiny test guest and exports it; to run tests on their own: " +
            "export " + EnvironmentVariable + "=$(tests/guest/build-guest.sh | tail -n 1)";
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new InvalidOperationException($"{EnvironmentVariable} is not set. {HowToGetIt}");
        }
        var manifest = Path.Combine(directory, "manifest");
        if (!File.Exists(manifest))
        {
            throw new InvalidOperationException($"{EnvironmentVariable}={directory} holds no tiny guest build (no manifest). {HowToGetIt}");
        }
        var cmdline = File.ReadLines(manifest).FirstOrDefault(line => line.StartsWith("cmdline ", StringComparison.Ordinal))?["cmdline ".Length..]
            ?? throw new InvalidOperationException($"{manifest} has no cmdline line. {HowToGetIt}");
        var image = new TinyGuestImage(directory, Path.Combine(directory, "vmlinuz"), Path.Combine(directory, "initrd.img"), Path.Combine(directory, "disk.qcow2"), cmdline);
        foreach (var file in new[] { image.Kernel, image.Initrd, image.Disk })
        {
            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"{file} is missing from the tiny guest build. {HowToGetIt}");
            }
        }
        return image;
    }
}

internal sealed record TinyGuestOptions
{
    /// <summary>Part of the domain name <c>virtweb-test-&lt;prefix&gt;-&lt;random&gt;</c>.</summary>
    public string NamePrefix { get; init; } = "guest";

    /// <summary>
    /// Offered as the SMBIOS credential <c>io.systemd.credential:system.machine_id</c>; the guest only takes it
    /// when its disk has no id yet. Null leaves the credential out, and a fresh disk makes its own id.
    /// </summary>
    public string? MachineId { get; init; }

    /// <summary>A qcow2 to boot (e.g. from <see cref="TinyGuest.CloneDiskAsync"/>) instead of a fresh system disk. The guest boots a copy of it.</summary>
    public string? Disk { get; init; }

    /// <summary>
    /// A libvirt network for the guest's card (its DHCP client then asks that network's dnsmasq, sending a client ID
    /// derived from its machine-id, see rootfs/usr/libexec/virtweb/network); null keeps QEMU's user-mode network.
    /// </summary>
    public string? Network { get; init; }

    /// <summary>The card's MAC on <see cref="Network"/>; null lets libvirt pick one.</summary>
    public string? Mac { get; init; }

    /// <summary>Defaults to <see cref="TinyGuestImage.FromEnvironment"/>.</summary>
    public TinyGuestImage? Image { get; init; }

    /// <summary>Defaults to VIRTWEB_QEMU_URI, else qemu:///system.</summary>
    public string? ConnectionUri { get; init; }

    /// <summary>
    /// Where the guest's work directory is made; defaults to the temp directory. A test that hands the guest to VirtWeb
    /// puts it under VirtWeb's storage roots, so that a pool on it makes every file the guest names a volume.
    /// </summary>
    public string? WorkParent { get; init; }
}

/// <summary>
/// A booted tiny test guest on libvirtd + QEMU: direct kernel boot, virtio disk and network, VNC on 127.0.0.1 and
/// the guest agent channel, defined through the VirtWeb.Libvirt binding. Each guest owns a work directory with
/// its own kernel, initrd and disk, and <see cref="DisposeAsync"/> removes the domain and that directory.
/// </summary>
internal sealed partial class TinyGuest : IAsyncDisposable
{
    public static readonly TimeSpan DefaultBootDeadline = TimeSpan.FromSeconds(45);
    public static readonly TimeSpan DefaultShutdownDeadline = TimeSpan.FromSeconds(20);
    public const string TemplateResourceName = "VirtWeb.TestGuest.domain-template.xml";

    // Short enough that a deadline loop reacts promptly, long enough not to flood libvirtd.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly LibvirtConnection _connection;
    private int _clones;

    private TinyGuest(LibvirtConnection connection, LibvirtDomain domain, string workDirectory, string diskPath, string? machineId)
    {
        _connection = connection;
        Domain = domain;
        Name = domain.Name;
        WorkDirectory = workDirectory;
        DiskPath = diskPath;
        SerialLogPath = SerialLogOf(workDirectory);
        OfferedMachineId = machineId;
        Agent = new GuestAgent(domain);
    }

    public string Name { get; }

    public LibvirtDomain Domain { get; }

    public GuestAgent Agent { get; }

    /// <summary>The guest's own directory (mode 755, so the qemu user can reach the files libvirt hands it).</summary>
    public string WorkDirectory { get; }

    public string DiskPath { get; }

    /// <summary>The serial console as virtlogd records it: kernel log and the "... booted, machine-id ..." banner.</summary>
    public string SerialLogPath { get; }

    public string? OfferedMachineId { get; }

    /// <summary>From <see cref="StartAsync"/> until guest-ping answered, for the last start.</summary>
    public TimeSpan? BootToPing { get; private set; }

    /// <summary>32 lowercase hex characters, as in /etc/machine-id.</summary>
    public static string NewMachineId() => Guid.NewGuid().ToString("N");

    /// <summary>Defines the guest and boots it until its agent answers guest-ping.</summary>
    public static async Task<TinyGuest> BootAsync(TinyGuestOptions? options = null, TimeSpan? bootDeadline = null, CancellationToken cancellationToken = default)
    {
        var guest = Define(options ?? new TinyGuestOptions());
        try
        {
            await guest.StartAsync(bootDeadline, cancellationToken);
            return guest;
        }
        catch
        {
            await guest.DisposeAsync();
            throw;
        }
    }

    /// <summary>Prepares the work directory and defines the (shut off) domain.</summary>
    public static TinyGuest Define(TinyGuestOptions options)
    {
        if (options.MachineId is { } id && !MachineIdFormat().IsMatch(id))
        {
            throw new ArgumentException($"machine-id '{id}' is not 32 lowercase hex characters", nameof(options));
        }
        var image = options.Image ?? TinyGuestImage.FromEnvironment();
        var name = $"virtweb-test-{options.NamePrefix}-{Guid.NewGuid():N}"[..40];

        // libvirt (qemu.conf dynamic_ownership) chowns kernel, initrd and disk to the qemu user while the domain
        // runs: hand it copies in a directory that user can traverse, never the shared build output.
        var work = options.WorkParent is { } parent
            ? Directory.CreateDirectory(Path.Combine(parent, $"virtweb-guest-{Guid.NewGuid():N}"[..28])).FullName
            : Directory.CreateTempSubdirectory("virtweb-guest-").FullName;
        try
        {
            // CreateTempSubdirectory makes it 700; libvirt and QEMU are Linux only, so is this guest.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                    UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
            var kernel = CopyInto(work, image.Kernel, "vmlinuz");
            var initrd = CopyInto(work, image.Initrd, "initrd.img");
            var disk = CopyInto(work, options.Disk ?? image.Disk, "disk.qcow2");
            // virtlogd (root) would create the serial log 0600; made here first and appended to (the template's
            // append='on'), it stays the test user's own, readable when the tests run as the unprivileged VirtWeb user.
            File.WriteAllBytes(SerialLogOf(work), []);

            var xml = BuildDomainXml(ReadTemplate(), new Dictionary<string, string>
            {
                ["NAME"] = name,
                ["KERNEL"] = kernel,
                ["INITRD"] = initrd,
                ["CMDLINE"] = image.Cmdline,
                ["DISK"] = disk,
                ["VNC_LISTEN"] = "127.0.0.1",
                ["SERIAL_LOG"] = SerialLogOf(work),
                ["MACHINE_ID"] = options.MachineId ?? "",
            }, includeMachineId: options.MachineId is not null);
            if (options.Network is { } network)
            {
                xml = OnNetwork(xml, network, options.Mac);
            }

            var connection = Open(options.ConnectionUri);
            try
            {
                return new TinyGuest(connection, connection.DefineDomain(xml), work, disk, options.MachineId);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
        catch
        {
            Directory.Delete(work, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Fills the domain template's @PLACEHOLDERS@ (attributes and text only, so a value can never add markup) and,
    /// without a machine-id, drops the SMBIOS credential as the template's header says. Fails on a placeholder it
    /// does not know, so a template change cannot slip through half filled.
    /// </summary>
    public static string BuildDomainXml(string template, IReadOnlyDictionary<string, string> values, bool includeMachineId)
    {
        var document = XDocument.Parse(template);
        document.DescendantNodes().OfType<XComment>().ToList().ForEach(c => c.Remove());
        var domain = document.Root ?? throw new InvalidDataException("the domain template has no root element");
        if (!includeMachineId)
        {
            domain.Element("sysinfo")?.Remove();
            domain.Element("os")?.Element("smbios")?.Remove();
        }

        string Fill(string text) => Placeholder().Replace(text, match =>
            values.TryGetValue(match.Groups[1].Value, out var value)
                ? value
                : throw new InvalidDataException($"the domain template uses {match.Value}, which TinyGuest does not fill"));
        foreach (var element in domain.DescendantsAndSelf())
        {
            foreach (var attribute in element.Attributes())
            {
                attribute.Value = Fill(attribute.Value);
            }
        }
        foreach (var text in domain.DescendantNodes().OfType<XText>())
        {
            text.Value = Fill(text.Value);
        }
        return domain.ToString();
    }

    /// <summary>Starts the domain and waits until its agent answers guest-ping; returns (and records) how long that took.</summary>
    public async Task<TimeSpan> StartAsync(TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        Domain.Start();
        await WaitForAgentAsync(deadline ?? DefaultBootDeadline, clock, cancellationToken);
        BootToPing = clock.Elapsed;
        return clock.Elapsed;
    }

    /// <summary>/etc/machine-id read through the agent, without its newline.</summary>
    public async Task<string> ReadMachineIdAsync(CancellationToken cancellationToken = default) =>
        (await Agent.ReadTextFileAsync("/etc/machine-id", cancellationToken)).Trim();

    /// <summary>
    /// Asks the guest to power off (ACPI power button by default; <see cref="DomainShutdownFlags.GuestAgent"/> for
    /// guest-shutdown) and waits until the domain is shut off; returns how long that took.
    /// </summary>
    public async Task<TimeSpan> ShutdownAsync(DomainShutdownFlags how = DomainShutdownFlags.AcpiPowerButton, TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        Domain.Shutdown(how);
        var limit = deadline ?? DefaultShutdownDeadline;
        while (Domain.GetState().State != DomainState.Shutoff)
        {
            if (clock.Elapsed >= limit)
            {
                throw new TimeoutException($"{Name} still {Domain.GetState().State} {limit.TotalSeconds:0.#} s after a {how} shutdown.{SerialLogTail()}");
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
        return clock.Elapsed;
    }

    /// <summary>
    /// A real clone of the system disk: a full, standalone qcow2 copy (<c>qemu-img convert</c>, no backing file),
    /// made while the guest is shut off so the copy is consistent. Written to <paramref name="destination"/>, or
    /// into this guest's work directory (removed with the guest: boot the clone before disposing this one).
    /// </summary>
    public async Task<string> CloneDiskAsync(string? destination = null, CancellationToken cancellationToken = default)
    {
        var state = Domain.GetState().State;
        if (state != DomainState.Shutoff)
        {
            throw new InvalidOperationException($"{Name} is {state}: shut it down before cloning its disk, or the copy is not consistent");
        }
        destination ??= Path.Combine(WorkDirectory, $"clone-{Interlocked.Increment(ref _clones)}.qcow2");
        await RunAsync("qemu-img", ["convert", "-O", "qcow2", DiskPath, destination], TimeSpan.FromSeconds(60), cancellationToken);
        return destination;
    }

    /// <summary>The VNC server's address from the live domain XML (autoport: known only while running).</summary>
    public (string Address, int Port) GetVncEndpoint()
    {
        var vnc = Domain.GetDefinition().Graphics.Single(g => g.Type == "vnc");
        if (vnc.ListenAddress is not { } address || vnc.Port is not ({ } port and > 0))
        {
            throw new InvalidOperationException($"{Name} has no VNC port yet (is it running?)");
        }
        return (address, port);
    }

    /// <summary>One full frame of the guest's screen, fetched over VNC.</summary>
    public Task<VncFrame> CaptureScreenAsync(TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        var (address, port) = GetVncEndpoint();
        return VncScreen.CaptureAsync(address, port, deadline ?? TimeSpan.FromSeconds(15), cancellationToken);
    }

    public string ReadSerialLog()
    {
        try
        {
            return File.ReadAllText(SerialLogPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"(serial log unreadable: {exception.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Best effort throughout: a test that failed half way must still leave no domain or files behind.
        try
        {
            if (Domain.IsActive)
            {
                Domain.Destroy();
            }
        }
        catch (LibvirtException)
        {
        }
        try
        {
            Domain.Undefine();
        }
        catch (LibvirtException)
        {
        }
        Domain.Dispose();
        _connection.Dispose();
        await Task.Run(() =>
        {
            try
            {
                Directory.Delete(WorkDirectory, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        });
    }

    public override string ToString() => Name;

    private async Task WaitForAgentAsync(TimeSpan deadline, Stopwatch clock, CancellationToken cancellationToken)
    {
        LibvirtException? last = null;
        while (clock.Elapsed < deadline)
        {
            var state = Domain.GetState().State;
            if (state is not (DomainState.Running or DomainState.Blocked))
            {
                throw new InvalidOperationException($"{Name} is {state} while booting.{SerialLogTail()}");
            }
            // Before qemu-ga connects libvirt fails at once (agent not connected); the timeout only bounds a
            // guest that connected but stalls, and never runs past the deadline.
            var timeout = (int)Math.Clamp(Math.Ceiling((deadline - clock.Elapsed).TotalSeconds), 1, 5);
            try
            {
                await Agent.PingAsync(timeout, cancellationToken);
                return;
            }
            catch (LibvirtException exception)
            {
                last = exception;
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
        throw new TimeoutException($"{Name}: no guest-ping answer within {deadline.TotalSeconds:0.#} s (last: {last?.Message}).{SerialLogTail()}");
    }

    private string SerialLogTail()
    {
        var lines = ReadSerialLog().Split('\n');
        return "\nSerial console, last lines:\n" + string.Join('\n', lines.TakeLast(15));
    }

    private static string SerialLogOf(string workDirectory) => Path.Combine(workDirectory, "serial.log");

    private static string CopyInto(string directory, string source, string name)
    {
        var target = Path.Combine(directory, name);
        File.Copy(source, target);
        return target;
    }

    private static string ReadTemplate()
    {
        using var stream = typeof(TinyGuest).Assembly.GetManifestResourceStream(TemplateResourceName)
            ?? throw new InvalidOperationException(
                $"{TemplateResourceName} is not embedded in {typeof(TinyGuest).Assembly.GetName().Name}: " +
                "link the helper with <Import Project=\"..\\guest\\TinyGuest.props\" /> in the test project");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static LibvirtConnection Open(string? uri)
    {
        uri ??= Environment.GetEnvironmentVariable("VIRTWEB_QEMU_URI") is { Length: > 0 } fromEnvironment ? fromEnvironment : "qemu:///system";
        try
        {
            return LibvirtConnection.Open(uri);
        }
        catch (LibvirtException exception)
        {
            throw new InvalidOperationException(
                $"libvirtd is not reachable at {uri} ({exception.Message}). Start it with 'virtlogd -d && libvirtd -d'.", exception);
        }
    }

    private static async Task RunAsync(string program, IEnumerable<string> arguments, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} did not finish within {deadline.TotalSeconds:0.#} s");
        }
        await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {await stderr}");
        }
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex MachineIdFormat();

    [GeneratedRegex("@([A-Z_]+)@")]
    private static partial Regex Placeholder();
}

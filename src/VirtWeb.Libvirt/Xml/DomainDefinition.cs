using System.Xml.Linq;

namespace VirtWeb.Libvirt.Xml;

/// <summary>How a guest is virtualized, derived from its XML.</summary>
public enum VirtualizationMode
{
    /// <summary>Unmodified guest on emulated hardware (hvm without virtio devices).</summary>
    Full,
    /// <summary>Guest that knows it is virtualized and talks to the hypervisor (Xen PV: os type xen/linux).</summary>
    Para,
    /// <summary>Full virtualization with paravirtual virtio drivers for disks or network.</summary>
    Hybrid,
    /// <summary>A container sharing the host kernel (os type exe, e.g. libvirt LXC).</summary>
    Container,
}

/// <summary>A parsed <c>&lt;domain&gt;</c>. Unknown elements are ignored; sizes are in KiB.</summary>
public sealed record DomainDefinition(
    string Type,
    string Name,
    Guid? Uuid,
    int? Id,
    string? Title,
    string? Description,
    ulong? MemoryKiB,
    ulong? CurrentMemoryKiB,
    int Vcpus,
    DomainOs Os,
    IReadOnlyList<string> Features,
    IReadOnlyList<DomainDisk> Disks,
    IReadOnlyList<DomainInterface> Interfaces,
    IReadOnlyList<DomainGraphics> Graphics,
    IReadOnlyList<DomainChannel> Channels,
    IReadOnlyList<string> OemStrings,
    IReadOnlyDictionary<string, XElement> Metadata)
{
    /// <summary>The vCPUs the domain has now (<c>&lt;vcpu current='N'&gt;</c>); <see cref="Vcpus"/> when not set.</summary>
    public int CurrentVcpus { get; init; } = Vcpus;

    public VirtualizationMode VirtualizationMode => Os.Type switch
    {
        "exe" => VirtualizationMode.Container,
        "xen" or "linux" or "xenpvh" => VirtualizationMode.Para,
        _ when Disks.Any(d => d.TargetBus == "virtio") || Interfaces.Any(i => i.Model == "virtio") => VirtualizationMode.Hybrid,
        _ => VirtualizationMode.Full,
    };

    public static DomainDefinition Parse(string xml)
    {
        var root = XmlReading.Root(xml, "domain");
        var os = root.Element("os");
        var devices = root.Element("devices");
        var osType = os?.Element("type");
        return new DomainDefinition(
            root.Attr("type") ?? string.Empty,
            root.Text("name") ?? string.Empty,
            XmlReading.Uuid(root.Text("uuid")),
            XmlReading.Int(root.Attr("id")) is { } id && id >= 0 ? id : null,
            root.Text("title"),
            root.Text("description"),
            root.KiB("memory"),
            root.KiB("currentMemory"),
            XmlReading.Int(root.Text("vcpu")) ?? 1,
            new DomainOs(
                osType?.Value.Trim() ?? string.Empty,
                osType.Attr("arch"),
                osType.Attr("machine"),
                os.Text("kernel"),
                os.Text("initrd"),
                os.Text("cmdline"),
                os?.Elements("boot").Select(b => b.Attr("dev")).OfType<string>().ToArray() ?? []),
            root.Element("features")?.Elements().Select(f => f.Name.LocalName).ToArray() ?? [],
            devices?.Elements("disk").Select(ParseDisk).ToArray() ?? [],
            devices?.Elements("interface").Select(ParseInterface).ToArray() ?? [],
            devices?.Elements("graphics").Select(ParseGraphics).ToArray() ?? [],
            devices?.Elements("channel").Select(ParseChannel).ToArray() ?? [],
            root.Elements("sysinfo").Where(s => s.Attr("type") == "smbios")
                .SelectMany(s => s.Element("oemStrings")?.Elements("entry") ?? [])
                .Select(e => e.Value).ToArray(),
            ParseMetadata(root.Element("metadata")))
        {
            CurrentVcpus = XmlReading.Int(root.Attr("vcpu", "current")) ?? XmlReading.Int(root.Text("vcpu")) ?? 1,
        };
    }

    private static DomainDisk ParseDisk(XElement disk)
    {
        var source = disk.Element("source");
        return new DomainDisk(
            disk.Attr("type") ?? "file",
            disk.Attr("device") ?? "disk",
            disk.Attr("driver", "name"),
            disk.Attr("driver", "type"),
            source.Attr("file"),
            source.Attr("dev"),
            source.Attr("pool"),
            source.Attr("volume"),
            disk.Attr("target", "dev"),
            disk.Attr("target", "bus"),
            disk.Element("readonly") is not null);
    }

    private static DomainInterface ParseInterface(XElement nic) => new(
        nic.Attr("type") ?? string.Empty,
        nic.Attr("source", "network"),
        nic.Attr("source", "bridge"),
        nic.Attr("mac", "address"),
        nic.Attr("model", "type"),
        nic.Attr("target", "dev"))
    {
        LinkState = nic.Attr("link", "state"),
    };

    private static DomainGraphics ParseGraphics(XElement graphics)
    {
        var listen = graphics.Elements("listen").FirstOrDefault();
        var port = XmlReading.Int(graphics.Attr("port"));
        return new DomainGraphics(
            graphics.Attr("type") ?? string.Empty,
            port is > 0 ? port : null,
            graphics.Attr("autoport") == "yes",
            graphics.Attr("listen") ?? listen.Attr("address"),
            listen?.Attr("type") == "socket" ? listen.Attr("socket") : null,
            XmlReading.Int(graphics.Attr("websocket")) is > 0 and var ws ? ws : null);
    }

    private static DomainChannel ParseChannel(XElement channel) => new(
        channel.Attr("type") ?? string.Empty,
        channel.Attr("target", "type"),
        channel.Attr("target", "name"),
        channel.Attr("target", "state"),
        channel.Attr("source", "path"));

    // Applications keep their data under <metadata> in their own XML namespace; keyed by that namespace.
    private static Dictionary<string, XElement> ParseMetadata(XElement? metadata)
    {
        var result = new Dictionary<string, XElement>(StringComparer.Ordinal);
        foreach (var element in metadata?.Elements() ?? [])
        {
            result.TryAdd(element.Name.NamespaceName, new XElement(element));
        }
        return result;
    }
}

/// <summary>
/// The <c>&lt;os&gt;</c> block: type hvm (full virtualization), xen/linux (paravirtualized) or exe (container);
/// direct kernel boot settings; boot devices in order.
/// </summary>
public sealed record DomainOs(string Type, string? Arch, string? Machine, string? Kernel, string? Initrd, string? Cmdline, IReadOnlyList<string> BootDevices);

/// <summary>A disk: source is a file, a block device, or a pool volume; <see cref="DriverType"/> is the image format (qcow2, raw).</summary>
public sealed record DomainDisk(
    string Type, string Device, string? DriverName, string? DriverType,
    string? SourceFile, string? SourceDevice, string? SourcePool, string? SourceVolume,
    string? TargetDev, string? TargetBus, bool ReadOnly);

public sealed record DomainInterface(string Type, string? SourceNetwork, string? SourceBridge, string? MacAddress, string? Model, string? TargetDev)
{
    /// <summary><c>&lt;link state='up|down'/&gt;</c>; null when not set, which libvirt treats as up.</summary>
    public string? LinkState { get; init; }
}

/// <summary>A graphics console; <see cref="Port"/> is null until a running domain got one assigned (autoport).</summary>
public sealed record DomainGraphics(string Type, int? Port, bool AutoPort, string? ListenAddress, string? ListenSocket, int? WebSocketPort);

/// <summary>A channel, e.g. the guest agent's virtio channel <c>org.qemu.guest_agent.0</c> (state connected once the agent runs).</summary>
public sealed record DomainChannel(string Type, string? TargetType, string? TargetName, string? TargetState, string? SourcePath);

using System.Security;
using System.Text;

namespace VirtWeb.Guests;

public enum GuestDiskChoice
{
    NewQcow2,
    NewRaw,
    ExistingVolume,
    None,
}

public enum GuestBootChoice
{
    Disk,
    Iso,
    Kernel,
}

public enum GuestNetworkChoice
{
    Network,
    Bridge,
    None,
}

/// <summary>
/// What the create-guest form collects. Sizes: memory in MiB, disk in GiB. <see cref="DiskBus"/> and <see cref="NicModel"/>
/// come from the OS preset (osinfo) when one is chosen; left out, they are the preset's, or virtio without a preset.
/// </summary>
public sealed record GuestCreateInput(
    Guid HostId,
    string? Name,
    int Vcpus = 1,
    int MemoryMiB = 512,
    GuestDiskChoice Disk = GuestDiskChoice.NewQcow2,
    string? Pool = null,
    int DiskSizeGiB = 10,
    string? ExistingVolumePath = null,
    GuestBootChoice Boot = GuestBootChoice.Disk,
    string? IsoPath = null,
    string? KernelPath = null,
    string? InitrdPath = null,
    string? KernelCmdline = null,
    GuestNetworkChoice Network = GuestNetworkChoice.Network,
    string? NetworkSource = "default",
    string? OsId = null,
    string? DiskBus = null,
    string? NicModel = null);

/// <summary>Names and the domain XML VirtWeb generates; pure functions, so the rules are testable without libvirt.</summary>
public static class GuestCreation
{
    public const int MaxNameLength = 64;
    public const int MinMemoryMiB = 16;

    /// <summary>The disk buses the form offers: what osinfo's presets ask for (virtio, or SATA for an OS without virtio drivers) and IDE for the oldest.</summary>
    public static readonly IReadOnlyList<string> DiskBuses = ["virtio", "sata", "ide"];

    /// <summary>The NIC models the form offers: paravirtual, and the emulated ones osinfo names for an OS without virtio drivers.</summary>
    public static readonly IReadOnlyList<string> NicModels = ["virtio", "e1000e", "e1000", "rtl8139"];

    /// <summary>The system disk's target on a bus: vda, sda or hda (the ISO's CD-ROM takes the next SATA name).</summary>
    public static string DiskTarget(string bus) => bus switch
    {
        "sata" => "sda",
        "ide" => "hda",
        _ => "vda",
    };

    /// <summary>A guest name: it becomes file names (disks, logs), so no path characters, no control characters.</summary>
    public static string ValidateName(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw new GuestActionException("Give the guest a name; spaces alone are not a name.");
        }

        if (trimmed.Any(char.IsControl))
        {
            throw new GuestActionException("The name contains a control character (such as NUL); use letters, digits, '.', '-' and '_'.");
        }

        if (trimmed.Length > MaxNameLength)
        {
            throw new GuestActionException($"The name is {trimmed.Length} characters long; keep it to {MaxNameLength}.");
        }

        if (trimmed.Contains('/') || trimmed.Contains('\\') || trimmed.Contains("..", StringComparison.Ordinal))
        {
            throw new GuestActionException($"The name '{trimmed}' contains '/', '\\' or '..'; a guest name becomes file names on the host, so use letters, digits, '.', '-' and '_'.");
        }

        if (!trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') || trimmed[0] is '.' or '-')
        {
            throw new GuestActionException($"The name '{trimmed}' may use letters, digits, '.', '-' and '_', and must start with a letter or digit.");
        }

        return trimmed;
    }

    /// <summary>The domain XML for a new guest. VNC listens on 127.0.0.1 only: the console reaches it through VirtWeb.</summary>
    public static string DomainXml(string domainType, string arch, string name, int vcpus, int memoryMiB,
        (string Path, string Format)? disk, GuestCreateInput input)
    {
        static string E(string? value) => SecurityElement.Escape(value ?? "");
        var xml = new StringBuilder();
        xml.Append($"<domain type='{E(domainType)}'>\n  <name>{E(name)}</name>\n  <memory unit='MiB'>{memoryMiB}</memory>\n  <vcpu>{vcpus}</vcpu>\n");
        if (!string.IsNullOrWhiteSpace(input.OsId))
        {
            // libosinfo's own element, as virt-install writes it: the Templates area reads the OS (and its minimums) from it.
            xml.Append($"  <metadata>\n    <libosinfo:libosinfo xmlns:libosinfo='{VirtWeb.Templates.TemplateService.LibosinfoNamespace}'><libosinfo:os id='{E(input.OsId)}'/></libosinfo:libosinfo>\n  </metadata>\n");
        }

        xml.Append($"  <os>\n    <type arch='{E(arch)}'>hvm</type>\n");
        switch (input.Boot)
        {
            case GuestBootChoice.Kernel:
                xml.Append($"    <kernel>{E(input.KernelPath)}</kernel>\n");
                if (!string.IsNullOrWhiteSpace(input.InitrdPath))
                {
                    xml.Append($"    <initrd>{E(input.InitrdPath)}</initrd>\n");
                }

                if (!string.IsNullOrWhiteSpace(input.KernelCmdline))
                {
                    xml.Append($"    <cmdline>{E(input.KernelCmdline)}</cmdline>\n");
                }

                break;
            case GuestBootChoice.Iso:
                xml.Append("    <boot dev='cdrom'/>\n    <boot dev='hd'/>\n");
                break;
            default:
                xml.Append("    <boot dev='hd'/>\n");
                break;
        }

        xml.Append("  </os>\n  <features><acpi/><apic/></features>\n  <devices>\n");
        var bus = input.DiskBus ?? "virtio";
        if (disk is { } d)
        {
            xml.Append($"    <disk type='file' device='disk'>\n      <driver name='qemu' type='{E(d.Format)}'/>\n      <source file='{E(d.Path)}'/>\n      <target dev='{DiskTarget(bus)}' bus='{E(bus)}'/>\n    </disk>\n");
        }

        if (input.Boot == GuestBootChoice.Iso)
        {
            var cdrom = disk is not null && bus == "sata" ? "sdb" : "sda";
            xml.Append($"    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n      <source file='{E(input.IsoPath)}'/>\n      <target dev='{cdrom}' bus='sata'/>\n      <readonly/>\n    </disk>\n");
        }

        var model = E(input.NicModel ?? "virtio");

        switch (input.Network)
        {
            case GuestNetworkChoice.Network:
                xml.Append($"    <interface type='network'>\n      <source network='{E(input.NetworkSource)}'/>\n      <model type='{model}'/>\n    </interface>\n");
                break;
            case GuestNetworkChoice.Bridge:
                xml.Append($"    <interface type='bridge'>\n      <source bridge='{E(input.NetworkSource)}'/>\n      <model type='{model}'/>\n    </interface>\n");
                break;
        }

        xml.Append("    <graphics type='vnc' autoport='yes' listen='127.0.0.1'>\n      <listen type='address' address='127.0.0.1'/>\n    </graphics>\n");
        xml.Append("    <channel type='unix'>\n      <target type='virtio' name='org.qemu.guest_agent.0'/>\n    </channel>\n");
        xml.Append("  </devices>\n</domain>\n");
        return xml.ToString();
    }
}

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

/// <summary>What the create-guest form collects. Sizes: memory in MiB, disk in GiB.</summary>
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
    string? OsId = null);

/// <summary>Names and the domain XML VirtWeb generates; pure functions, so the rules are testable without libvirt.</summary>
public static class GuestCreation
{
    public const int MaxNameLength = 64;
    public const int MinMemoryMiB = 16;

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
        if (disk is { } d)
        {
            xml.Append($"    <disk type='file' device='disk'>\n      <driver name='qemu' type='{E(d.Format)}'/>\n      <source file='{E(d.Path)}'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n");
        }

        if (input.Boot == GuestBootChoice.Iso)
        {
            xml.Append($"    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n      <source file='{E(input.IsoPath)}'/>\n      <target dev='sda' bus='sata'/>\n      <readonly/>\n    </disk>\n");
        }

        switch (input.Network)
        {
            case GuestNetworkChoice.Network:
                xml.Append($"    <interface type='network'>\n      <source network='{E(input.NetworkSource)}'/>\n      <model type='virtio'/>\n    </interface>\n");
                break;
            case GuestNetworkChoice.Bridge:
                xml.Append($"    <interface type='bridge'>\n      <source bridge='{E(input.NetworkSource)}'/>\n      <model type='virtio'/>\n    </interface>\n");
                break;
        }

        xml.Append("    <graphics type='vnc' autoport='yes' listen='127.0.0.1'>\n      <listen type='address' address='127.0.0.1'/>\n    </graphics>\n");
        xml.Append("    <channel type='unix'>\n      <target type='virtio' name='org.qemu.guest_agent.0'/>\n    </channel>\n");
        xml.Append("  </devices>\n</domain>\n");
        return xml.ToString();
    }
}

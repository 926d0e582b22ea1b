using System.Xml.Linq;

namespace VirtWeb.Libvirt.Xml;

/// <summary>The host part of <c>virConnectGetCapabilities</c> and the guest types it can run.</summary>
public sealed record HostCapabilities(Guid? HostUuid, HostCpu Cpu, IReadOnlyList<NumaCell> NumaCells, IReadOnlyList<GuestCapability> Guests)
{
    /// <summary>VT-x (<c>vmx</c>) or AMD-V (<c>svm</c>) is among the host CPU features.</summary>
    public bool HasHardwareVirtualization => Cpu.Features.Contains("vmx") || Cpu.Features.Contains("svm");

    /// <summary>libvirt offers KVM guests, which it only does when /dev/kvm is usable.</summary>
    public bool IsKvmAvailable => Guests.Any(g => g.DomainTypes.Contains("kvm"));

    public static HostCapabilities Parse(string xml)
    {
        var root = XmlReading.Root(xml, "capabilities");
        var host = root.Element("host");
        var cpu = host?.Element("cpu");
        var topology = cpu?.Element("topology");
        var hostCpu = new HostCpu(
            cpu.Text("arch") ?? string.Empty,
            cpu.Text("model"),
            cpu.Text("vendor"),
            topology is null ? null : new CpuTopology(
                XmlReading.Int(topology.Attr("sockets")) ?? 1,
                XmlReading.Int(topology.Attr("dies")) ?? 1,
                XmlReading.Int(topology.Attr("cores")) ?? 1,
                XmlReading.Int(topology.Attr("threads")) ?? 1),
            cpu?.Elements("feature").Select(f => f.Attr("name")).OfType<string>()
                .Concat(cpu.Element("features")?.Elements().Select(f => f.Name.LocalName) ?? [])
                .ToArray() ?? []);
        var cells = host?.Element("topology")?.Element("cells")?.Elements("cell").Select(cell => new NumaCell(
            XmlReading.Int(cell.Attr("id")) ?? 0,
            cell.KiB("memory"),
            cell.Element("cpus")?.Elements("cpu").Select(c => XmlReading.Int(c.Attr("id"))).OfType<int>().ToArray() ?? [])).ToArray() ?? [];
        var guests = root.Elements("guest").Select(ParseGuest).ToArray();
        return new HostCapabilities(XmlReading.Uuid(host.Text("uuid")), hostCpu, cells, guests);
    }

    private static GuestCapability ParseGuest(XElement guest)
    {
        var arch = guest.Element("arch");
        return new GuestCapability(
            guest.Text("os_type") ?? string.Empty,
            arch.Attr("name") ?? string.Empty,
            XmlReading.Int(arch.Text("wordsize")),
            arch.Text("emulator"),
            arch?.Elements("machine").Select(m => m.Value.Trim()).Distinct().ToArray() ?? [],
            arch?.Elements("domain").Select(d => d.Attr("type")).OfType<string>().ToArray() ?? []);
    }
}

/// <summary>The host CPU; <see cref="Features"/> are flag names such as vmx, svm, pae.</summary>
public sealed record HostCpu(string Arch, string? Model, string? Vendor, CpuTopology? Topology, IReadOnlyList<string> Features);

public sealed record CpuTopology(int Sockets, int Dies, int Cores, int Threads);

public sealed record NumaCell(int Id, ulong? MemoryKiB, IReadOnlyList<int> CpuIds);

/// <summary>
/// A guest the host can run: OS type (hvm = full virtualization, xen = paravirtualized, exe = container),
/// architecture, and the domain types offered (kvm, qemu, lxc, test, ...).
/// </summary>
public sealed record GuestCapability(string OsType, string Arch, int? WordSize, string? Emulator, IReadOnlyList<string> Machines, IReadOnlyList<string> DomainTypes);

namespace VirtWeb.Libvirt.Xml;

/// <summary>
/// <c>virConnectGetDomainCapabilities</c>: what a guest of one emulator/machine/arch may use. Asked without a
/// virt type, libvirt answers for kvm when KVM is usable and for qemu (TCG emulation) otherwise.
/// <see cref="Loaders"/> are the firmware files (UEFI, BIOS) the host offers as <c>&lt;os&gt;&lt;loader&gt;</c>.
/// </summary>
public sealed record DomainCapabilities(
    string? EmulatorPath, string DomainType, string? Machine, string Arch, int? MaxVcpus, IReadOnlyList<string> CpuModels, IReadOnlyList<string> Loaders)
{
    public bool IsKvm => DomainType == "kvm";

    public static DomainCapabilities Parse(string xml)
    {
        var root = XmlReading.Root(xml, "domainCapabilities");
        var models = root.Element("cpu")?.Elements("mode")
            .Where(m => m.Attr("name") == "custom" && m.Attr("supported") != "no")
            .SelectMany(m => m.Elements("model"))
            .Where(m => m.Attr("usable") != "no")
            .Select(m => m.Value.Trim())
            .ToArray() ?? [];
        return new DomainCapabilities(
            root.Text("path"),
            root.Text("domain") ?? string.Empty,
            root.Text("machine"),
            root.Text("arch") ?? string.Empty,
            XmlReading.Int(root.Attr("vcpu", "max")),
            models,
            root.Element("os")?.Element("loader")?.Elements("value").Select(v => v.Value.Trim()).Where(v => v.Length > 0).ToArray() ?? []);
    }
}

namespace VirtWeb.Hosts;

public enum HypervisorKind
{
    /// <summary>Bare metal: the hypervisor is the operating system (Xen, ESXi, Hyper-V).</summary>
    Type1,

    /// <summary>Hosted: an ordinary program on a host OS (VirtualBox, VMware Workstation, QEMU without acceleration).</summary>
    Type2,

    /// <summary>KVM: a kernel module makes Linux itself the hypervisor, while QEMU runs as a hosted process.</summary>
    Both,

    /// <summary>Not a hypervisor: containers share the host's kernel (libvirt LXC).</summary>
    Containers,

    /// <summary>libvirt's test driver: a hypervisor simulated inside the libvirt library.</summary>
    Simulated,
}

public static class HypervisorClassifier
{
    /// <summary>Classifies a host from libvirt's driver name (<c>virConnectGetType</c>) and whether KVM is usable.</summary>
    public static HypervisorKind Classify(string driver, bool kvmUsable) => driver.ToUpperInvariant() switch
    {
        "QEMU" or "KVM" => kvmUsable ? HypervisorKind.Both : HypervisorKind.Type2,
        "XEN" or "LIBXL" or "ESX" or "VPX" or "HYPERV" or "HYPER-V" => HypervisorKind.Type1,
        "VBOX" or "VMWARE" or "VMWAREWS" or "VMWAREPLAYER" or "VMWAREFUSION" or "PARALLELS" => HypervisorKind.Type2,
        "LXC" => HypervisorKind.Containers,
        "TEST" => HypervisorKind.Simulated,
        _ => HypervisorKind.Type2,
    };

    public static string Title(HypervisorKind kind) => kind switch
    {
        HypervisorKind.Type1 => "Type 1 (bare metal)",
        HypervisorKind.Type2 => "Type 2 (hosted)",
        HypervisorKind.Both => "Type 1 and type 2 (KVM)",
        HypervisorKind.Containers => "Containers",
        HypervisorKind.Simulated => "Simulated",
        _ => kind.ToString(),
    };

    public static string Explanation(HypervisorKind kind) => kind switch
    {
        HypervisorKind.Type1 =>
            "The hypervisor runs directly on the hardware and the management OS is itself a guest, as with Xen, ESXi and Hyper-V.",
        HypervisorKind.Type2 =>
            "The hypervisor is a program on a host operating system; without hardware acceleration QEMU emulates every instruction, which is slow.",
        HypervisorKind.Both =>
            "KVM is a Linux kernel module that turns the kernel into a bare-metal hypervisor, while QEMU runs as an ordinary process that emulates the devices.",
        HypervisorKind.Containers =>
            "libvirt LXC runs containers: they share the host's kernel instead of running their own, so there is no hardware virtualization.",
        HypervisorKind.Simulated =>
            "libvirt's test driver simulates a hypervisor in memory; nothing runs, which makes it a safe place to try things.",
        _ => "",
    };
}

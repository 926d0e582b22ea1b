namespace VirtWeb.Hosts;

/// <summary>Reads what a connected host says about itself.</summary>
public static class HostFactsReader
{
    public static HostFacts Read(LibvirtConnection connection)
    {
        var capabilities = connection.GetCapabilities();
        var node = connection.GetNodeInfo();
        var driver = connection.HypervisorType;

        // Domain capabilities name the best virtualization type the hypervisor offers; "kvm" means /dev/kvm is usable.
        // Drivers without them (test, lxc, esx) answer "not supported", which is no KVM.
        var kvmUsable = false;
        try
        {
            kvmUsable = connection.GetDomainCapabilities().IsKvm;
        }
        catch (LibvirtException)
        {
            kvmUsable = capabilities.IsKvmAvailable;
        }

        var hardwareVirtualization = capabilities.Cpu.Features.Contains("vmx") ? "Intel VT-x (vmx)"
            : capabilities.Cpu.Features.Contains("svm") ? "AMD-V (svm)"
            : null;
        Version? hypervisorVersion = null;
        try
        {
            hypervisorVersion = connection.HypervisorVersion;
        }
        catch (LibvirtException)
        {
            // Some drivers (LXC) have no hypervisor version of their own.
        }

        return new HostFacts(
            Driver: driver,
            Kind: HypervisorClassifier.Classify(driver, kvmUsable),
            Hostname: connection.Hostname,
            LibvirtVersion: connection.LibraryVersion,
            HypervisorVersion: hypervisorVersion,
            HostUuid: capabilities.HostUuid?.ToString(),
            CpuArchitecture: capabilities.Cpu.Arch,
            CpuModel: capabilities.Cpu.Model ?? node.CpuModel,
            CpuVendor: capabilities.Cpu.Vendor,
            CpuCount: node.Cpus,
            CpuMhz: node.Mhz,
            Sockets: capabilities.Cpu.Topology?.Sockets ?? node.Sockets,
            CoresPerSocket: capabilities.Cpu.Topology?.Cores ?? node.Cores,
            ThreadsPerCore: capabilities.Cpu.Topology?.Threads ?? node.Threads,
            MemoryKiB: (long)node.MemoryKiB,
            NumaCells: capabilities.NumaCells.Select(c => new HostNumaCell(c.Id, (long)(c.MemoryKiB ?? 0), c.CpuIds.Count)).ToList(),
            HardwareVirtualization: hardwareVirtualization,
            KvmUsable: kvmUsable);
    }
}

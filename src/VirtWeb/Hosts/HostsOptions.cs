namespace VirtWeb.Hosts;

public sealed class HostsOptions
{
    public const string SectionName = "Hosts";

    /// <summary>Add libvirt's in-process test driver as a demo host on the first run.</summary>
    public bool AddDemoHost { get; set; } = true;

    /// <summary>Add qemu:///system the first time a local libvirtd answers at start-up.</summary>
    public bool AddLocalQemu { get; set; } = true;
}

using System.Globalization;
using System.Xml.Linq;

namespace VirtWeb.Templates;

/// <summary>
/// A deploy from a template: <see cref="Count"/> guests named <see cref="Name"/> (numbered <c>name-1</c>… when more than
/// one), linked (qcow2 overlays on the template's disks) or full copies, optionally on another network and with another
/// size, and with a cloud-init seed when <see cref="CloudInit"/> is given.
/// </summary>
public sealed record DeployRequest(
    string Name,
    int Count = 1,
    GuestCloneDisks Disks = GuestCloneDisks.Overlay,
    string? Network = null,
    int? Vcpus = null,
    ulong? MemoryMiB = null,
    CloudInitInput? CloudInit = null,
    bool Start = true);

/// <summary>Where one guest of a deploy is.</summary>
public enum DeployStep
{
    Waiting,
    Seed,
    Clone,
    Start,
    Done,
    Failed,
}

/// <summary>A deploy's progress or result for one guest; <see cref="Message"/> says what was done or why it failed.</summary>
public sealed record DeployGuestStatus(int Index, string Name, DeployStep Step, string Message, Guid? Uuid = null);

/// <summary>The pure part of a deploy: limits, names and the deployed guest's XML; testable without libvirt.</summary>
public static class DeployPlan
{
    public const int MaxCount = 50;

    public const int MaxVcpus = 64;

    /// <summary>Below this no Linux boots; an OS preset's minimum (osinfo) may ask for more.</summary>
    public const ulong FloorMemoryMiB = 64;

    /// <summary>The guests' names, checked: a count out of 1–50 or a bad name is refused before anything is made.</summary>
    public static IReadOnlyList<string> Names(DeployRequest request)
    {
        if (request.Count is < 1 or > MaxCount)
        {
            throw new DeployInputException($"Deploy between 1 and {MaxCount} guests at once; {request.Count} was asked for.");
        }

        string baseName;
        try
        {
            baseName = GuestCreation.ValidateName(request.Name);
        }
        catch (GuestActionException e)
        {
            throw new DeployInputException(e.Message);
        }

        var names = request.Count == 1 ? [baseName] : Enumerable.Range(1, request.Count).Select(i => $"{baseName}-{i}").ToList();
        foreach (var name in names)
        {
            try
            {
                GuestCreation.ValidateName(name);
            }
            catch (GuestActionException e)
            {
                throw new DeployInputException($"{name}: {e.Message}");
            }
        }

        return names;
    }

    /// <summary>Checks vCPUs and memory against the limits and the OS's minimum memory (when osinfo knows the template's OS).</summary>
    public static void CheckSize(DeployRequest request, ulong? osMinimumMiB, string? osName)
    {
        if (request.Vcpus is { } vcpus && vcpus is < 1 or > MaxVcpus)
        {
            throw new DeployInputException($"Give each guest between 1 and {MaxVcpus} vCPUs; {vcpus} was asked for.");
        }

        if (request.MemoryMiB is { } memory)
        {
            var minimum = Math.Max(FloorMemoryMiB, osMinimumMiB ?? 0);
            if (memory < minimum)
            {
                throw new DeployInputException(osMinimumMiB is { } os && os >= FloorMemoryMiB
                    ? $"{memory} MiB is below {osName}'s minimum of {os} MiB (osinfo); give each guest at least {os} MiB."
                    : $"{memory} MiB is too little to boot; give each guest at least {FloorMemoryMiB} MiB.");
            }
        }
    }

    /// <summary>
    /// The deployed guest's XML from the clone's: not a template, the requested vCPUs, memory and network, and (with a
    /// seed) the seed as a read-only CD-ROM plus the seed's note in VirtWeb's metadata, so the first-boot cleanup finds it.
    /// </summary>
    public static string Adjust(string cloneXml, DeployRequest request, TemplateMarks.PendingSeed? seed, string? seedPath)
    {
        var xml = TemplateMarks.WithTemplate(cloneXml, false, "", DateTimeOffset.UnixEpoch);
        xml = TemplateMarks.WithSeed(xml, seed);
        var root = XDocument.Parse(xml).Root!;
        if (request.Vcpus is { } vcpus)
        {
            var vcpu = root.Element("vcpu") ?? new XElement("vcpu");
            vcpu.Attribute("current")?.Remove();
            vcpu.Value = vcpus.ToString(CultureInfo.InvariantCulture);
            if (vcpu.Parent is null)
            {
                root.Element("memory")?.AddAfterSelf(vcpu);
            }
        }

        if (request.MemoryMiB is { } memoryMiB)
        {
            foreach (var name in new[] { "memory", "currentMemory" })
            {
                if (root.Element(name) is { } element)
                {
                    element.SetAttributeValue("unit", "KiB");
                    element.Value = (memoryMiB * 1024).ToString(CultureInfo.InvariantCulture);
                }
            }
        }

        var devices = root.Element("devices") ?? throw new GuestActionException("The template has no <devices>.");
        if (request.Network is { Length: > 0 } network)
        {
            var nic = devices.Elements("interface").FirstOrDefault();
            if (nic is null)
            {
                nic = new XElement("interface", new XElement("mac", new XAttribute("address", GuestCloning.NewMac())), new XElement("model", new XAttribute("type", "virtio")));
                devices.Add(nic);
            }

            nic.SetAttributeValue("type", "network");
            nic.Element("source")?.Remove();
            nic.Element("mac")!.AddAfterSelf(new XElement("source", new XAttribute("network", network)));
        }

        if (seed is not null && seedPath is not null)
        {
            var bus = seed.TargetDev.StartsWith("sd", StringComparison.Ordinal) ? "sata" : "ide";
            var cdrom = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
                new XElement("source", new XAttribute("file", seedPath)),
                new XElement("target", new XAttribute("dev", seed.TargetDev), new XAttribute("bus", bus)),
                new XElement("readonly"));
            var lastDisk = devices.Elements("disk").LastOrDefault();
            if (lastDisk is not null)
            {
                lastDisk.AddAfterSelf(cdrom);
            }
            else
            {
                devices.AddFirst(cdrom);
            }
        }

        return root.ToString();
    }

    /// <summary>A free CD-ROM target: IDE on i440fx machines (hdc first, as virt-install does), SATA on q35 (which has no IDE).</summary>
    public static string SeedTarget(DomainDefinition template)
    {
        var used = template.Disks.Select(d => d.TargetDev).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var candidates = template.Os.Machine?.Contains("q35", StringComparison.Ordinal) == true
            ? Enumerable.Range(0, 26).Select(i => $"sd{(char)('a' + i)}")
            : ["hdc", "hdd", "hdb", "hda"];
        return candidates.FirstOrDefault(c => !used.Contains(c))
            ?? throw new DeployInputException("The template has no free CD-ROM slot for the cloud-init seed; remove a CD-ROM drive from it.");
    }

    /// <summary>The removal of the seed from a deployed guest's persistent XML: the CD-ROM and the metadata note go.</summary>
    public static string WithoutSeed(string domainXml, TemplateMarks.PendingSeed seed)
    {
        var root = XDocument.Parse(TemplateMarks.WithSeed(domainXml, null)).Root!;
        root.Element("devices")?.Elements("disk")
            .Where(d => d.Attribute("device")?.Value == "cdrom" && d.Element("target")?.Attribute("dev")?.Value == seed.TargetDev)
            .Remove();
        return root.ToString();
    }

    /// <summary>The live change that empties the seed's CD-ROM drive (IDE and SATA drives cannot be unplugged while running).</summary>
    public static string EjectXml(TemplateMarks.PendingSeed seed) =>
        new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
            new XElement("target", new XAttribute("dev", seed.TargetDev), new XAttribute("bus", seed.TargetDev.StartsWith("sd", StringComparison.Ordinal) ? "sata" : "ide")),
            new XElement("readonly")).ToString();
}

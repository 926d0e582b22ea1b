using System.Net;
using System.Xml.Linq;

namespace VirtWeb.Guests;

public enum ReferenceKind
{
    /// <summary>A file the host opens for the guest: it must be a volume of a pool inside the storage roots.</summary>
    File,

    /// <summary>A disk naming a pool and a volume by name (<c>&lt;disk type='volume'&gt;</c>).</summary>
    PoolVolume,

    /// <summary>The firmware: a volume, or one of the firmware files the host itself offers.</summary>
    Loader,

    /// <summary>The emulator: only one the host's capabilities name.</summary>
    Emulator,

    /// <summary>Refused whatever it names: passthrough, driver namespaces, programs, network listeners.</summary>
    Refused,
}

/// <summary>
/// One thing a guest definition makes the host open, run or expose. <see cref="Element"/> names it for a message
/// ("the CD-ROM (hdc)"); <see cref="Value"/> is the path (the volume name for a pool volume, the whole message for a
/// refusal); <see cref="Advice"/> says what to do instead. Two references with the same <see cref="Key"/> are the same
/// choice, so one kept unchanged from the current definition can be told apart from a new one.
/// </summary>
public sealed record DefinitionReference(ReferenceKind Kind, string Element, string Value, string Advice, string Key, string? Pool = null);

/// <summary>
/// Reads every host file, device, program and listener a <c>&lt;domain&gt;</c> names; pure, so the rules are testable
/// without libvirt. Known elements are read by what they mean; anywhere else an attribute holding an absolute path
/// (file, path, dev, dir, socket...) counts as a file, so an element this list does not know cannot slip a path through.
/// </summary>
public static partial class DefinitionScan
{
    public const string QemuNamespace = "http://libvirt.org/schemas/domain/qemu/1.0";

    // The test driver's own namespace (test:runstate) lives only in its in-memory world.
    private const string TestNamespace = "http://libvirt.org/schemas/domain/test/1.0";

    private const string PickVolume = "pick a volume from a pool";
    private const string UploadIt = "upload it into a pool inside the roots and pick it there";
    private const string PtyInstead = "use a pty (VirtWeb's serial console reaches it)";

    private static readonly HashSet<string> PathAttributes = new(StringComparer.Ordinal)
    {
        "file", "path", "dev", "dir", "socket", "logFile", "template", "tap", "vhost", "rendernode", "xauth",
    };

    private static readonly HashSet<string> RandomSources = new(StringComparer.Ordinal) { "/dev/random", "/dev/urandom", "/dev/hwrng" };

    public static IReadOnlyList<DefinitionReference> Scan(XElement domain)
    {
        var scan = new Scanner();
        var metadata = domain.Element("metadata");
        var all = domain.Descendants().Where(e => metadata is null || !e.AncestorsAndSelf().Contains(metadata)).ToList();
        scan.Namespaces(all);
        scan.SecurityLabels(all);
        scan.Os(domain);
        if (domain.Element("bootloader") is { } bootloader)
        {
            scan.Refuse(bootloader, $"The <bootloader> {bootloader.Value.Trim()} is a program the host runs; VirtWeb accepts no programs in a definition, remove it.");
        }

        foreach (var entry in domain.Elements("sysinfo").Elements("entry").Where(e => e.Attribute("file") is not null))
        {
            scan.File($"fwcfg:{entry.Attribute("name")?.Value}", $"the firmware configuration entry {entry.Attribute("name")?.Value}", entry.Attribute("file")?.Value, UploadIt);
            scan.Claimed.Add(entry);
        }

        foreach (var device in domain.Element("devices")?.Elements() ?? [])
        {
            scan.Device(device);
        }

        scan.AnyPath(all);
        return scan.Found;
    }

    /// <summary>Loopback only, or unset (qemu.conf's own default, which the host's administrator chose).</summary>
    public static bool IsLoopback(string? address) =>
        string.IsNullOrWhiteSpace(address)
        || address.Trim().Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(address.Trim().Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private sealed partial class Scanner
    {
        public List<DefinitionReference> Found { get; } = [];

        /// <summary>Elements read by meaning: the catch-all path sweep skips them and everything inside.</summary>
        public HashSet<XElement> Claimed { get; } = [];

        public void File(string role, string element, string? path, string advice)
        {
            if (!string.IsNullOrWhiteSpace(path))
            {
                Found.Add(new(ReferenceKind.File, element, path.Trim(), advice, $"file|{role}|{path.Trim()}"));
            }
        }

        public void Refuse(XElement source, string message)
        {
            Found.Add(new(ReferenceKind.Refused, "", message, "", $"refused|{Canonical(source)}"));
            Claimed.Add(source);
        }

        public void Namespaces(IEnumerable<XElement> elements)
        {
            foreach (var element in elements)
            {
                if (Foreign(element.Name.Namespace) && !Foreign(element.Parent?.Name.Namespace))
                {
                    Refuse(element, NamespaceMessage(element, element.Name));
                }

                foreach (var attribute in element.Attributes().Where(a => !a.IsNamespaceDeclaration && Foreign(a.Name.Namespace)))
                {
                    Refuse(element, NamespaceMessage(element, attribute.Name));
                }
            }
        }

        public void SecurityLabels(IEnumerable<XElement> elements)
        {
            foreach (var label in elements.Where(e => e.Name == "seclabel"))
            {
                var type = label.Attribute("type")?.Value;
                var problem = type switch
                {
                    "none" => "switches off the confinement of the guest's QEMU process",
                    "static" => "runs the guest's QEMU process under a label chosen in the XML",
                    _ when label.Attribute("relabel")?.Value == "no" => "stops libvirt from labelling the guest's files (relabel='no')",
                    _ when label.Elements().Any(c => c.Name.LocalName is "label" or "imagelabel" or "baselabel") => "sets its own security label",
                    _ => null,
                };
                if (problem is not null)
                {
                    Refuse(label, $"The security label {Start(label)} {problem}; remove it and libvirt's default (dynamic) labelling applies.");
                }
            }
        }

        public void Os(XElement domain)
        {
            if (domain.Element("os") is not { } os)
            {
                return;
            }

            File("kernel", "the kernel", os.Element("kernel")?.Value, UploadIt);
            File("initrd", "the initrd", os.Element("initrd")?.Value, UploadIt);
            File("dtb", "the device tree (dtb)", os.Element("dtb")?.Value, UploadIt);
            foreach (var table in os.Elements("acpi").Elements("table"))
            {
                File("acpi", $"the ACPI table {table.Attribute("type")?.Value}", table.Value, UploadIt);
            }

            if (os.Element("loader") is { } loader && loader.Value.Trim() is { Length: > 0 } firmware)
            {
                Found.Add(new(ReferenceKind.Loader, "the firmware loader", firmware, "remove <loader> and let libvirt choose (firmware='efi')", $"loader|{firmware}"));
            }

            if (os.Element("nvram") is { } nvram)
            {
                File("nvram", "the NVRAM store", nvram.Value, "remove <nvram> and libvirt makes the guest its own");
                File("nvram-template", "the NVRAM template", nvram.Attribute("template")?.Value, "remove the template and libvirt uses the firmware's own");
                File("nvram", "the NVRAM store", nvram.Element("source")?.Attribute("file")?.Value, "remove <nvram> and libvirt makes the guest its own");
            }

            if (os.Element("init") is { } init)
            {
                Refuse(init, $"The container's <init> {init.Value.Trim()} is a program to run; VirtWeb accepts no programs in a definition, remove it.");
            }

            Claimed.Add(os);
        }

        /// <summary>The catch-all: an absolute path in any attribute of an element no rule above read.</summary>
        public void AnyPath(IEnumerable<XElement> elements)
        {
            foreach (var element in elements.Where(e => !e.AncestorsAndSelf().Any(Claimed.Contains)))
            {
                foreach (var attribute in element.Attributes().Where(a => PathAttributes.Contains(a.Name.LocalName) && a.Value.TrimStart().StartsWith('/')))
                {
                    var owner = element.AncestorsAndSelf().FirstOrDefault(e => e.Parent?.Name == "devices" || e.Parent?.Parent is null) ?? element;
                    var name = owner == element ? $"the <{element.Name.LocalName}>" : $"the <{element.Name.LocalName}> of <{owner.Name.LocalName}>";
                    File($"{element.Name.LocalName}@{attribute.Name.LocalName}", name, attribute.Value, PickVolume);
                }
            }
        }
    }

    private static bool Foreign(XNamespace? ns) => ns is not null && ns != XNamespace.None && ns.NamespaceName != TestNamespace;

    private static string NamespaceMessage(XElement element, XName name)
    {
        var prefix = element.GetPrefixOfNamespace(name.Namespace);
        var written = prefix is null ? $"{{{name.NamespaceName}}}{name.LocalName}" : $"{prefix}:{name.LocalName}";
        return name.NamespaceName == QemuNamespace
            ? $"<{written}> passes options straight to QEMU (the qemu: command-line namespace); VirtWeb accepts no driver namespaces, remove it."
            : $"<{written}> is in the namespace {name.NamespaceName}, which passes settings straight to a driver; VirtWeb accepts none outside <metadata>, remove it.";
    }

    private static string CharName(XElement device)
    {
        var kind = device.Name.LocalName;
        var target = device.Element("target");
        var index = device.ElementsBeforeSelf(device.Name).Count();
        return kind switch
        {
            "channel" => $"the channel {target?.Attribute("name")?.Value ?? target?.Attribute("type")?.Value ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "parallel" => $"the parallel port {target?.Attribute("port")?.Value ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "console" => $"the console {target?.Attribute("port")?.Value ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            _ => $"the serial port {target?.Attribute("port")?.Value ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        };
    }

    private static string? SourceOf(XElement device) =>
        device.Element("source")?.Attributes().FirstOrDefault(a => a.Name.LocalName is "dir" or "file" or "dev" or "name" or "socket")?.Value;

    /// <summary>The element's start tag, as the user wrote it: <c>&lt;hostdev mode='subsystem' type='usb'&gt;</c>.</summary>
    private static string Start(XElement element) =>
        $"<{element.Name.LocalName}{string.Concat(element.Attributes().Where(a => !a.IsNamespaceDeclaration).Select(a => $" {a.Name.LocalName}='{a.Value}'"))}>";

    internal static string Capital(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    // libvirt adds <address> and <alias> to the definitions it returns: an unchanged device compares equal without them.
    private static string Canonical(XElement element)
    {
        var copy = new XElement(element);
        copy.Descendants().Where(e => e.Name.LocalName is "address" or "alias").ToList().ForEach(e => e.Remove());
        return copy.ToString(SaveOptions.DisableFormatting);
    }
}

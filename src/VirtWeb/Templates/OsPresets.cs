using System.Globalization;
using System.Xml.Linq;

namespace VirtWeb.Templates;

/// <summary>
/// One OS from osinfo-db: its minimum and recommended resources (for x86_64, or for every architecture), and the disk
/// bus and NIC model that follow from the devices it supports. <see cref="HasVirtio"/>: it has virtio drivers, so a guest
/// with virtio disks and NICs runs hybrid (full virtualization with paravirtual drivers) rather than full.
/// </summary>
public sealed record OsPreset(
    string Id, string ShortId, string Name, string? Version, string? Family,
    int? MinimumVcpus, ulong? MinimumMemoryMiB, ulong? MinimumDiskGiB,
    int? RecommendedVcpus, ulong? RecommendedMemoryMiB, ulong? RecommendedDiskGiB,
    bool HasVirtio, string DiskBus, string NicModel, IReadOnlyList<string> VolumeIdPatterns);

/// <summary>
/// The OS presets read straight from the osinfo-db package's XML (<c>/usr/share/osinfo/os/*/*.xml</c>, no network, no
/// libosinfo): read once, on first use. Devices are inherited along <c>derives-from</c>, as libosinfo does; resources are
/// each OS's own, falling back to what it derives from when it lists none.
/// </summary>
public sealed class OsPresets(ILogger<OsPresets> logger, IConfiguration? configuration = null)
{
    public const string DefaultDirectory = "/usr/share/osinfo";

    /// <summary>libosinfo's local database, read over the system one: where a newer osinfo-db release is imported.</summary>
    public const string LocalDirectory = "/etc/osinfo";

    private static readonly string[] s_virtioBlock = ["http://pcisig.com/pci/1af4/1001", "http://pcisig.com/pci/1af4/1042"];
    private static readonly string[] s_virtioNet = ["http://pcisig.com/pci/1af4/1000", "http://pcisig.com/pci/1af4/1041"];
    private static readonly string[] s_e1000e = ["http://pcisig.com/pci/8086/10d3"];

    private readonly Lazy<IReadOnlyList<OsPreset>> _all = new(() => Load(configuration?["Templates:OsinfoDirectory"] is { } directory ? [directory] : [DefaultDirectory, LocalDirectory], logger));

    public IReadOnlyList<OsPreset> All => _all.Value;

    /// <summary>Presets whose name, short id or id contains every word of <paramref name="query"/>, newest first within a family.</summary>
    public IReadOnlyList<OsPreset> Search(string? query, int limit = 50)
    {
        var words = (query ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return All.Where(p => words.All(w => p.Name.Contains(w, StringComparison.OrdinalIgnoreCase) || p.ShortId.Contains(w, StringComparison.OrdinalIgnoreCase)
                || p.Id.Contains(w, StringComparison.OrdinalIgnoreCase)))
            .Take(limit).ToList();
    }

    public OsPreset? Find(string id) => All.FirstOrDefault(p => p.Id == id);

    /// <summary>The preset of the OS libosinfo recorded in the domain's metadata (virt-install, virt-manager and VirtWeb write it).</summary>
    public OsPreset? ForDomain(DomainDefinition definition) =>
        definition.Metadata.TryGetValue(TemplateService.LibosinfoNamespace, out var element)
        && element.Elements().FirstOrDefault(e => e.Name.LocalName == "os")?.Attribute("id")?.Value is { } id ? Find(id) : null;

    /// <summary>The OS whose installer ISO has this volume label (osinfo's patterns), if osinfo knows one.</summary>
    public OsPreset? DetectFromVolumeLabel(string label) =>
        All.FirstOrDefault(p => p.VolumeIdPatterns.Any(pattern => System.Text.RegularExpressions.Regex.IsMatch(label, "^" + pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(50))));

    private sealed record Raw(string Id, string ShortId, string Name, string? Version, string? Family, string? Derives, HashSet<string> Devices,
        XElement? Minimum, XElement? Recommended, List<string> VolumeIds, DateOnly? Released);

    /// <summary>Reads each database in turn; an OS a later one describes too is taken from the later one, as libosinfo does.</summary>
    private static List<OsPreset> Load(IReadOnlyList<string> directories, ILogger logger)
    {
        var present = directories.Select(d => Path.Combine(d, "os")).Where(Directory.Exists).ToList();
        if (present.Count == 0)
        {
            logger.LogWarning("osinfo-db is not installed ({Directory} is missing); no OS presets are offered. Install the Debian package osinfo-db.",
                Path.Combine(directories[0], "os"));
            return [];
        }

        var raws = new Dictionary<string, Raw>(StringComparer.Ordinal);
        foreach (var file in present.SelectMany(os => Directory.EnumerateFiles(os, "*.xml", SearchOption.AllDirectories)))
        {
            try
            {
                foreach (var element in XDocument.Load(file).Root?.Elements("os") ?? [])
                {
                    var id = element.Attribute("id")?.Value;
                    if (id is null)
                    {
                        continue;
                    }

                    var resources = element.Elements("resources").Where(r => r.Attribute("arch")?.Value is "x86_64" or "all").OrderBy(r => r.Attribute("arch")?.Value == "x86_64" ? 0 : 1).ToList();
                    raws[id] = new Raw(id, element.Element("short-id")?.Value ?? id, element.Elements("name").FirstOrDefault(n => n.Attribute(XNamespace.Xml + "lang") is null)?.Value ?? id,
                        element.Element("version")?.Value, element.Element("family")?.Value, element.Element("derives-from")?.Attribute("id")?.Value,
                        element.Element("devices")?.Elements("device").Select(d => d.Attribute("id")?.Value).OfType<string>().ToHashSet(StringComparer.Ordinal) ?? [],
                        resources.Select(r => r.Element("minimum")).FirstOrDefault(m => m is not null),
                        resources.Select(r => r.Element("recommended")).FirstOrDefault(m => m is not null),
                        element.Elements("media").Where(m => m.Attribute("arch")?.Value is "x86_64" or null).SelectMany(m => m.Elements("iso").Elements("volume-id")).Select(v => v.Value).ToList(),
                        DateOnly.TryParse(element.Element("release-date")?.Value, CultureInfo.InvariantCulture, out var date) ? date : null);
                }
            }
            catch (System.Xml.XmlException e)
            {
                logger.LogWarning("Skipped the osinfo file {File}: {Message}", file, e.Message);
            }
        }

        Raw? Parent(Raw raw) => raw.Derives is { } d && raws.TryGetValue(d, out var p) ? p : null;
        IEnumerable<Raw> Chain(Raw raw)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (Raw? r = raw; r is not null && seen.Add(r.Id); r = Parent(r))
            {
                yield return r;
            }
        }

        return raws.Values.Select(raw =>
        {
            var chain = Chain(raw).ToList();
            var devices = chain.SelectMany(r => r.Devices).ToHashSet(StringComparer.Ordinal);
            var minimum = chain.Select(r => r.Minimum).FirstOrDefault(m => m is not null);
            var recommended = chain.Select(r => r.Recommended).FirstOrDefault(m => m is not null);
            var virtioBlock = s_virtioBlock.Any(devices.Contains);
            var virtioNet = s_virtioNet.Any(devices.Contains);
            return new OsPreset(raw.Id, raw.ShortId, raw.Name, raw.Version, raw.Family,
                Int(minimum, "n-cpus"), MiB(minimum, "ram"), GiB(minimum, "storage"),
                Int(recommended, "n-cpus"), MiB(recommended, "ram"), GiB(recommended, "storage"),
                virtioBlock || virtioNet, virtioBlock ? "virtio" : "sata", virtioNet ? "virtio" : s_e1000e.Any(devices.Contains) ? "e1000e" : "e1000",
                raw.VolumeIds);
        })
        .OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
        .ToList();
    }

    private static int? Int(XElement? resources, string name) =>
        int.TryParse(resources?.Element(name)?.Value, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static ulong? MiB(XElement? resources, string name) =>
        ulong.TryParse(resources?.Element(name)?.Value, CultureInfo.InvariantCulture, out var bytes) ? bytes / (1024 * 1024) : null;

    private static ulong? GiB(XElement? resources, string name) =>
        ulong.TryParse(resources?.Element(name)?.Value, CultureInfo.InvariantCulture, out var bytes) ? bytes / (1024UL * 1024 * 1024) : null;
}

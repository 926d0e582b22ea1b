using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace VirtWeb.Libvirt.Xml;

/// <summary>Small tolerant readers: a missing element or attribute is null, never an exception.</summary>
internal static class XmlReading
{
    internal static XElement Root(string xml, string expectedName)
    {
        ArgumentNullException.ThrowIfNull(xml);
        XDocument document;
        try
        {
            document = XDocument.Parse(xml);
        }
        catch (XmlException exception)
        {
            throw new FormatException($"Not well-formed <{expectedName}> XML: {exception.Message}", exception);
        }
        var root = document.Root!;
        if (root.Name.LocalName != expectedName)
        {
            throw new FormatException($"Expected <{expectedName}> but the document is <{root.Name.LocalName}>.");
        }
        return root;
    }

    internal static string? Text(this XElement? element, string child) => element?.Element(child)?.Value.Trim() is { Length: > 0 } value ? value : null;

    internal static string? Attr(this XElement? element, string name) => element?.Attribute(name)?.Value;

    internal static string? Attr(this XElement? element, string child, string name) => element?.Element(child)?.Attribute(name)?.Value;

    internal static int? Int(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) ? result : null;

    internal static Guid? Uuid(string? value) => Guid.TryParse(value, out var result) ? result : null;

    /// <summary>
    /// A size element with libvirt's optional unit attribute, converted to <paramref name="resultUnitBytes"/>
    /// units. Memory defaults to KiB, storage to bytes.
    /// </summary>
    internal static ulong? Size(this XElement? element, string child, ulong defaultUnitBytes, ulong resultUnitBytes)
    {
        var sized = element?.Element(child);
        if (sized is null || !ulong.TryParse(sized.Value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }
        var unit = sized.Attribute("unit")?.Value;
        var unitBytes = unit is null ? defaultUnitBytes : UnitBytes(unit);
        return checked(amount * unitBytes) / resultUnitBytes;
    }

    internal static ulong? Bytes(this XElement? element, string child) => element.Size(child, 1, 1);

    internal static ulong? KiB(this XElement? element, string child) => element.Size(child, 1024, 1024);

    // libvirt's units: powers of 1024 unless spelled as the SI "KB", "MB", ... (see formatdomain "memory").
    private static ulong UnitBytes(string unit) => unit switch
    {
        "b" or "bytes" => 1,
        "KB" => 1000,
        "k" or "K" or "KiB" => 1UL << 10,
        "MB" => 1000_000,
        "M" or "MiB" => 1UL << 20,
        "GB" => 1000_000_000,
        "G" or "GiB" => 1UL << 30,
        "TB" => 1000_000_000_000,
        "T" or "TiB" => 1UL << 40,
        "PB" => 1000_000_000_000_000,
        "P" or "PiB" => 1UL << 50,
        "EB" => 1000_000_000_000_000_000,
        "E" or "EiB" => 1UL << 60,
        _ => throw new FormatException($"Unknown libvirt size unit '{unit}'."),
    };
}

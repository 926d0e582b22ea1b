using System.Xml.Linq;

namespace VirtWeb.Templates;

/// <summary>
/// The template flag and a deployed guest's pending cloud-init seed, kept in the guest's libvirt <c>&lt;metadata&gt;</c>
/// under VirtWeb's own namespaces, so both travel with the guest's definition (another VirtWeb instance, a backup of the
/// XML, a migration see them too). libvirt keeps one element per namespace, hence one namespace each.
/// </summary>
public static class TemplateMarks
{
    public const string TemplateNamespace = "urn:virtweb:template:1";

    public const string SeedNamespace = "urn:virtweb:cloud-init-seed:1";

    /// <summary>Whether the definition carries VirtWeb's template flag.</summary>
    public static bool IsTemplate(DomainDefinition definition) => definition.Metadata.ContainsKey(TemplateNamespace);

    /// <summary>Refuses to start (or autostart) a template, from its persistent definition: a template's disks back its linked guests.</summary>
    public static void RefuseStart(LibvirtDomain domain)
    {
        var definition = DomainDefinition.Parse(domain.GetXml(domain.IsPersistent ? DomainXmlFlags.Inactive : DomainXmlFlags.None));
        if (IsTemplate(definition))
        {
            throw new GuestActionException(
                $"{domain.Name} is a template and does not start: guests deployed from it as linked clones read its disks, which must not change. " +
                "Deploy a guest from it on the Templates page, or unmark it there first.");
        }
    }

    /// <summary><paramref name="domainXml"/> with the template flag set (by whom, when) or removed.</summary>
    public static string WithTemplate(string domainXml, bool template, string by, DateTimeOffset at)
    {
        XNamespace ns = TemplateNamespace;
        return WithMetadata(domainXml, TemplateNamespace, template
            ? new XElement(ns + "template", new XAttribute(XNamespace.Xmlns + "virtweb", TemplateNamespace),
                new XAttribute("marked-by", by), new XAttribute("marked-at", at.ToUniversalTime().ToString("O")))
            : null);
    }

    /// <summary>A deployed guest's seed volume waiting for the first boot to finish.</summary>
    public sealed record PendingSeed(string Pool, string Volume, string InstanceId, string TargetDev);

    public static PendingSeed? Seed(DomainDefinition definition) =>
        definition.Metadata.TryGetValue(SeedNamespace, out var element)
        && element.Attribute("pool")?.Value is { } pool && element.Attribute("volume")?.Value is { } volume
        && element.Attribute("instance-id")?.Value is { } instance && element.Attribute("target")?.Value is { } target
            ? new PendingSeed(pool, volume, instance, target)
            : null;

    public static string WithSeed(string domainXml, PendingSeed? seed)
    {
        XNamespace ns = SeedNamespace;
        return WithMetadata(domainXml, SeedNamespace, seed is null
            ? null
            : new XElement(ns + "seed", new XAttribute(XNamespace.Xmlns + "vwseed", SeedNamespace),
                new XAttribute("pool", seed.Pool), new XAttribute("volume", seed.Volume),
                new XAttribute("instance-id", seed.InstanceId), new XAttribute("target", seed.TargetDev)));
    }

    // Other applications' metadata (libosinfo's OS id, for one) stays as it is.
    private static string WithMetadata(string domainXml, string ns, XElement? element)
    {
        var root = XDocument.Parse(domainXml).Root ?? throw new GuestActionException("The guest's XML is empty.");
        var metadata = root.Element("metadata");
        metadata?.Elements().Where(e => e.Name.NamespaceName == ns).Remove();
        if (element is not null)
        {
            if (metadata is null)
            {
                metadata = new XElement("metadata");
                (root.Element("description") ?? root.Element("title") ?? root.Element("uuid") ?? root.Element("name"))!.AddAfterSelf(metadata);
            }

            metadata.Add(element);
        }
        else if (metadata is not null && !metadata.HasElements)
        {
            metadata.Remove();
        }

        return root.ToString();
    }
}

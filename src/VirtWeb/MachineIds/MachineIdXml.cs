using System.Xml.Linq;

namespace VirtWeb.MachineIds;

/// <summary>
/// The SMBIOS type 11 OEM string systemd reads as a credential: <c>io.systemd.credential:system.machine_id=&lt;id&gt;</c>.
/// systemd (and the tiny test guest's init) takes it only while <c>/etc/machine-id</c> is missing or empty, at boot.
/// </summary>
public static class MachineIdXml
{
    public const string CredentialPrefix = "io.systemd.credential:system.machine_id=";

    /// <summary>The machine ID the domain's SMBIOS credential offers, or null when it offers none (or a malformed one).</summary>
    public static MachineId? Credential(DomainDefinition definition) =>
        definition.OemStrings
            .Where(s => s.StartsWith(CredentialPrefix, StringComparison.Ordinal))
            .Select(s => MachineId.TryParse(s[CredentialPrefix.Length..], out var id) ? id : (MachineId?)null)
            .LastOrDefault(id => id is not null);

    /// <summary>
    /// <paramref name="domainXml"/> with the credential set to <paramref name="id"/>: an existing credential entry is
    /// replaced, other OEM strings and SMBIOS entries are kept, and <c>&lt;os&gt;&lt;smbios mode='sysinfo'/&gt;</c> makes
    /// QEMU pass the <c>&lt;sysinfo&gt;</c> to the guest (without it the strings stay in the XML only).
    /// </summary>
    public static string WithCredential(string domainXml, MachineId id)
    {
        var root = XDocument.Parse(domainXml).Root ?? throw new FormatException("The domain XML is empty.");
        var sysinfo = root.Elements("sysinfo").FirstOrDefault(s => (string?)s.Attribute("type") == "smbios");
        if (sysinfo is null)
        {
            sysinfo = new XElement("sysinfo", new XAttribute("type", "smbios"));

            // libvirt keeps <sysinfo> before <os> in the XML it writes; the same order keeps a diff readable.
            if (root.Element("os") is { } os)
            {
                os.AddBeforeSelf(sysinfo);
            }
            else
            {
                root.Add(sysinfo);
            }
        }

        var oemStrings = sysinfo.Element("oemStrings");
        if (oemStrings is null)
        {
            oemStrings = new XElement("oemStrings");
            sysinfo.Add(oemStrings);
        }

        oemStrings.Elements("entry").Where(e => e.Value.StartsWith(CredentialPrefix, StringComparison.Ordinal)).Remove();
        oemStrings.Add(new XElement("entry", CredentialPrefix + id.Value));

        var osElement = root.Element("os");
        if (osElement is null)
        {
            osElement = new XElement("os");
            root.Add(osElement);
        }

        if (osElement.Element("smbios") is { } smbios)
        {
            smbios.SetAttributeValue("mode", "sysinfo");
        }
        else
        {
            osElement.Add(new XElement("smbios", new XAttribute("mode", "sysinfo")));
        }

        return root.ToString();
    }
}

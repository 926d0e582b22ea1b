using System.Xml.Linq;
using VirtWeb.MachineIds;

namespace VirtWeb.Tests.MachineIds;

public sealed class MachineIdTests
{
    [Theory]
    [InlineData("3d1219c7c4c5404aaa1f6d2a48adfda4")]
    [InlineData("00000000000000000000000000000001")]
    [InlineData("ffffffffffffffffffffffffffffffff")]
    public void Parse_ThirtyTwoLowercaseHex_Accepted(string text)
    {
        Assert.True(MachineId.TryParse(text, out var id));
        Assert.Equal(text, id.Value);
        Assert.Equal(text, MachineId.Parse(text).ToString());
    }

    [Theory]
    [InlineData("3D1219C7C4C5404AAA1F6D2A48ADFDA4", "uppercase")]
    [InlineData("3d1219c7c4c5404aaa1f6d2a48adfdA4", "uppercase")]
    [InlineData("3d1219c7c4c5404aaa1f6d2a48adfda", "31 characters")]
    [InlineData("3d1219c7c4c5404aaa1f6d2a48adfda40", "33 characters")]
    [InlineData("3d1219c7c4c5404aaa1f6d2a48adfdg4", "'g'")]
    [InlineData("3d1219c7-c4c5-404a-aa1f-6d2a48adfda4", "36 characters")]
    [InlineData("3d1219c7c4c5404aaa1f6d2a48adfda ", "' '")]
    [InlineData("00000000000000000000000000000000", "all zeros")]
    [InlineData("uninitialized", "first boot")]
    [InlineData("", "empty")]
    [InlineData(null, "empty")]
    public void Parse_NotAMachineId_RefusedWithTheReason(string? text, string reason)
    {
        Assert.False(MachineId.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => MachineId.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void New_Generated_ValidUniqueAndVersion4LikeSystemd()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => MachineId.New()).ToList();

        Assert.All(ids, id => Assert.True(MachineId.TryParse(id.Value, out _)));
        Assert.All(ids, id => Assert.Equal('4', id.Value[12]));
        Assert.All(ids, id => Assert.Contains(id.Value[16], "89ab"));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void FromUuid_HostUuid_TheSameBitsWithoutDashes()
    {
        Assert.Equal("3d1219c7c4c5404aaa1f6d2a48adfda4", MachineId.FromUuid(Guid.Parse("3D1219C7-C4C5-404A-AA1F-6D2A48ADFDA4"))?.Value);
        Assert.Null(MachineId.FromUuid(Guid.Empty));
    }

    [Fact]
    public void Value_DefaultInstance_Throws() =>
        Assert.Throws<InvalidOperationException>(() => default(MachineId).Value);

    [Fact]
    public void WithCredential_NoSysinfo_AddsTheOemStringAndSmbiosMode()
    {
        var id = MachineId.Parse("3d1219c7c4c5404aaa1f6d2a48adfda4");
        var xml = MachineIdXml.WithCredential("<domain type='qemu'><name>a</name><os><type>hvm</type></os><devices/></domain>", id);

        var definition = DomainDefinition.Parse(xml);
        Assert.Equal(["io.systemd.credential:system.machine_id=3d1219c7c4c5404aaa1f6d2a48adfda4"], definition.OemStrings);
        Assert.Equal("sysinfo", XDocument.Parse(xml).Root!.Element("os")!.Element("smbios")!.Attribute("mode")!.Value);
        Assert.Equal(id, MachineIdXml.Credential(definition));
    }

    [Fact]
    public void WithCredential_ExistingCredentialAndOtherStrings_ReplacesOnlyTheCredential()
    {
        var xml = """
            <domain type='qemu'><name>a</name>
              <sysinfo type='smbios'><system><entry name='manufacturer'>ACME</entry></system>
                <oemStrings><entry>keep me</entry><entry>io.systemd.credential:system.machine_id=11111111111111111111111111111111</entry></oemStrings>
              </sysinfo>
              <os><type>hvm</type><smbios mode='sysinfo'/></os></domain>
            """;
        var updated = MachineIdXml.WithCredential(xml, MachineId.Parse("22222222222222222222222222222222"));

        var definition = DomainDefinition.Parse(updated);
        Assert.Equal(["keep me", "io.systemd.credential:system.machine_id=22222222222222222222222222222222"], definition.OemStrings);
        Assert.Contains("ACME", updated, StringComparison.Ordinal);
        Assert.Single(XDocument.Parse(updated).Root!.Elements("sysinfo"));
    }

    [Fact]
    public void Credential_MalformedValue_Ignored()
    {
        var definition = DomainDefinition.Parse("""
            <domain type='qemu'><name>a</name><sysinfo type='smbios'><oemStrings><entry>io.systemd.credential:system.machine_id=NOPE</entry></oemStrings></sysinfo><os><type>hvm</type></os></domain>
            """);
        Assert.Null(MachineIdXml.Credential(definition));
    }

    [Fact]
    public void FindDuplicates_CredentialOfAGuestWhoseAgentReported_DoesNotCount()
    {
        var shared = MachineId.New().Value;
        var entries = new[]
        {
            Entry("h/a", MachineIdSource.GuestAgent, shared),
            Entry("h/b", MachineIdSource.SmbiosCredential, shared),
            Entry("h/b", MachineIdSource.GuestAgent, MachineId.New().Value),
        };

        Assert.Empty(MachineIdSubjects.FindDuplicates(entries));
        Assert.Single(MachineIdSubjects.FindDuplicates(entries.Take(2)));
    }

    [Fact]
    public void FindDuplicates_OneSubjectFromTwoSources_IsNotADuplicate()
    {
        var id = MachineId.New().Value;
        var entries = new[]
        {
            Entry("h", MachineIdSource.HostFile, id, MachineIdSubjectKind.Host),
            Entry("h", MachineIdSource.LibvirtHostUuid, id, MachineIdSubjectKind.Host),
            Entry("h/a", MachineIdSource.GuestAgent, id),
        };

        var group = Assert.Single(MachineIdSubjects.FindDuplicates(entries));
        Assert.Equal(3, group.Holders.Count);
        Assert.Empty(MachineIdSubjects.FindDuplicates(entries, e => e.Kind == MachineIdSubjectKind.Guest));
    }

    private static MachineIdEntry Entry(string subject, MachineIdSource source, string id, MachineIdSubjectKind kind = MachineIdSubjectKind.Guest) =>
        new(subject, kind, Guid.Empty, kind == MachineIdSubjectKind.Guest ? Guid.NewGuid() : null, subject, source, id, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    [Fact]
    public void HostIdentity_SameHostUuid_OneMachinePerHostNameSoClonedHypervisorsAreFlagged()
    {
        var uuid = Guid.NewGuid().ToString();
        var one = MachineIdSubjects.HostIdentity(Guid.NewGuid(), Facts(uuid, "kvm1"));
        var sameAgain = MachineIdSubjects.HostIdentity(Guid.NewGuid(), Facts(uuid, "kvm1"));
        var cloned = MachineIdSubjects.HostIdentity(Guid.NewGuid(), Facts(uuid, "kvm2"));
        var id = MachineId.FromUuid(Guid.Parse(uuid))!.Value.Value;

        Assert.Equal(one, sameAgain);
        Assert.NotEqual(one, cloned);
        Assert.Empty(MachineIdSubjects.FindDuplicates([Entry(one, MachineIdSource.LibvirtHostUuid, id, MachineIdSubjectKind.Host), Entry(sameAgain, MachineIdSource.LibvirtHostUuid, id, MachineIdSubjectKind.Host)]));
        Assert.Single(MachineIdSubjects.FindDuplicates([Entry(one, MachineIdSource.LibvirtHostUuid, id, MachineIdSubjectKind.Host), Entry(cloned, MachineIdSource.LibvirtHostUuid, id, MachineIdSubjectKind.Host)]));
        Assert.StartsWith("entry-", MachineIdSubjects.HostIdentity(Guid.NewGuid(), null), StringComparison.Ordinal);
    }

    private static VirtWeb.Hosts.HostFacts Facts(string hostUuid, string hostname) =>
        new("QEMU", VirtWeb.Hosts.HypervisorKind.Type2, hostname, new Version(9, 0), null, hostUuid, "x86_64", null, null, 2, 2000, 1, 2, 1, 4 << 20, [], null, false);
}

namespace VirtWeb.IntegrationTests.Guests;

[Collection(AppCollection.Name)]
public sealed class GuestXmlTests(VirtWebFactory factory) : GuestTest(factory)
{
    [Fact]
    public async Task UpdateXml_ValidEdit_SavedAndReadBack()
    {
        var hostId = await AddPrivateHostAsync();
        var before = await Guests.ReadDetailsAsync(GuestWorld.Admin, hostId, Db);

        await Guests.UpdateXmlAsync(GuestWorld.Admin, hostId, Db, before.Xml.Replace("<vcpu placement='static'>2</vcpu>", "<vcpu placement='static'>3</vcpu>", StringComparison.Ordinal));

        var after = await Guests.ReadDetailsAsync(GuestWorld.Admin, hostId, Db);
        Assert.Equal(3, after.Definition.Vcpus);
        Assert.Equal(3, Store.Guests.Find(GuestState.KeyOf(hostId, Db))!.Vcpus);
    }

    [Theory]
    [InlineData("<domain type='test'><name>db</name>", "does not parse")]
    [InlineData("<network><name>db</name></network>", "must be one <domain> element")]
    [InlineData("<domain type='test'><name>other</name><memory>65536</memory><os><type>hvm</type></os></domain>", "renames db to 'other'")]
    [InlineData("<domain type='test'><name>db</name><uuid>99999999-0000-0000-0000-000000000000</uuid><memory>65536</memory><os><type>hvm</type></os></domain>", "keep the UUID")]
    [InlineData("<domain type='test'><name>db</name><memory>lots</memory><os><type>hvm</type></os></domain>", "Could not edit xml db: ")]
    public async Task UpdateXml_BadEdit_ClearMessageAndGuestUnchanged(string xml, string expected)
    {
        var hostId = await AddPrivateHostAsync();
        var before = await Guests.ReadDetailsAsync(GuestWorld.Admin, hostId, Db);

        var error = await Assert.ThrowsAsync<GuestActionException>(() => Guests.UpdateXmlAsync(GuestWorld.Admin, hostId, Db, xml));

        Assert.Contains(expected, error.Message);
        Assert.Equal(before.Xml, (await Guests.ReadDetailsAsync(GuestWorld.Admin, hostId, Db)).Xml);
    }

    [Fact]
    public async Task UpdateXml_Operator_RefusedByTheService()
    {
        var hostId = await AddPrivateHostAsync();
        var before = await Guests.ReadDetailsAsync(GuestWorld.Admin, hostId, Db);

        await Assert.ThrowsAsync<AccessDeniedException>(() =>
            Guests.UpdateXmlAsync(GuestWorld.Principal(Roles.Operator), hostId, Db, before.Xml.Replace(">2</vcpu>", ">4</vcpu>", StringComparison.Ordinal)));

        Assert.Equal(before.Xml, (await Guests.ReadDetailsAsync(GuestWorld.Admin, hostId, Db)).Xml);
    }
}

namespace VirtWeb.Libvirt.Tests;

public sealed class ErrorTests
{
    [Fact]
    public void GetDomainByName_Nonexistent_ThrowsNoDomainFromTheTestDriver()
    {
        using var connection = LibvirtConnection.Open("test:///default");

        var exception = Assert.Throws<LibvirtException>(() => connection.GetDomainByName("no-such-guest"));

        Assert.Equal(LibvirtErrorCode.NoDomain, exception.Code);
        Assert.Equal(42, (int)exception.Code);
        Assert.Equal(LibvirtErrorDomain.Test, exception.ErrorDomain);
        Assert.Contains("Domain not found", exception.Message);
    }

    [Fact]
    public void GetDomainByUuid_Nonexistent_ThrowsNoDomain()
    {
        using var connection = LibvirtConnection.Open("test:///default");

        var exception = Assert.Throws<LibvirtException>(() => connection.GetDomainByUuid(Guid.NewGuid()));

        Assert.Equal(LibvirtErrorCode.NoDomain, exception.Code);
    }

    [Fact]
    public void DefineDomain_MalformedXml_ThrowsXmlErrorWithAMessage()
    {
        using var connection = Fixtures.OpenWorld();

        var exception = Assert.Throws<LibvirtException>(() => connection.DefineDomain("<domain type='test'><name>broken</name"));

        Assert.Equal(LibvirtErrorCode.XmlDetail, exception.Code);
        Assert.False(string.IsNullOrWhiteSpace(exception.Message));
    }

    [Fact]
    public void DefineDomain_WellFormedButInvalid_ThrowsWithLibvirtsReason()
    {
        using var connection = Fixtures.OpenWorld();

        var exception = Assert.Throws<LibvirtException>(() => connection.DefineDomain("<domain type='test'><name>no-memory</name></domain>"));

        Assert.NotEqual(LibvirtErrorCode.Ok, exception.Code);
        Assert.Equal(LibvirtErrorDomain.Domain, exception.ErrorDomain);
        Assert.False(string.IsNullOrWhiteSpace(exception.Message));
    }

    [Fact]
    public void Open_BadUri_Throws()
    {
        var exception = Assert.Throws<LibvirtException>(() => LibvirtConnection.Open("nosuchdriver:///nowhere"));

        Assert.NotEqual(LibvirtErrorCode.Ok, exception.Code);
        Assert.False(string.IsNullOrWhiteSpace(exception.Message));
    }

    [Fact]
    public void Open_TestDriverWithMissingWorldFile_ThrowsWithThePathInTheMessage()
    {
        var exception = Assert.Throws<LibvirtException>(() => LibvirtConnection.Open("test:///nonexistent/world.xml"));

        Assert.Contains("/nonexistent/world.xml", exception.Message);
    }

    [Fact]
    public void FailedCall_AfterwardsASucceedingCall_DoesNotSeeTheOldError()
    {
        using var connection = LibvirtConnection.Open("test:///default");
        Assert.Throws<LibvirtException>(() => connection.GetDomainByName("missing"));

        using var domain = connection.GetDomainByName("test");

        Assert.Equal("test", domain.Name);
        Assert.True(connection.GetFreeMemoryBytes() > 0);
    }
}

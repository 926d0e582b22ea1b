namespace VirtWeb.Libvirt.Tests;

public sealed class ConnectionTests
{
    private const string DefaultUri = "test:///default";

    [Fact]
    public void Open_TestDefault_ReportsUriTypeAndVersions()
    {
        using var connection = LibvirtConnection.Open(DefaultUri);

        Assert.Equal(DefaultUri, connection.Uri);
        Assert.Equal("TEST", connection.HypervisorType);
        Assert.True(connection.IsAlive);
        Assert.True(connection.LibraryVersion >= new Version(9, 0, 0), connection.LibraryVersion.ToString());
        // The test driver reports the raw number 2, which decodes to 0.0.2.
        Assert.Equal(new Version(0, 0, 2), connection.HypervisorVersion);
        Assert.False(string.IsNullOrEmpty(connection.Hostname));
    }

    [Fact]
    public void CallCount_CallsThroughTheConnectionAndItsObjects_CountsEachOnce()
    {
        using var connection = LibvirtConnection.Open(DefaultUri);
        using var pool = connection.ListStoragePools().First();
        var before = connection.CallCount;

        using (var domain = connection.GetDomainByName("test"))
        {
            _ = domain.GetState();
            _ = domain.Name;
            _ = domain.Name;
        }

        _ = pool.GetInfo();

        // Lookup, state, name once (then cached), the pool's info; disposing makes no counted call.
        Assert.Equal(before + 4, connection.CallCount);
    }

    [Fact]
    public void Open_ReadOnlyFlag_UsesOpenAuthAndStillReads()
    {
        using var connection = LibvirtConnection.Open(DefaultUri, ConnectFlags.ReadOnly);

        Assert.NotEmpty(connection.ListDomains());
    }

    [Fact]
    public void GetNodeInfo_TestDefault_MatchesTheTestDriversHost()
    {
        using var connection = LibvirtConnection.Open(DefaultUri);

        var node = connection.GetNodeInfo();

        Assert.Equal("i686", node.CpuModel);
        Assert.Equal(16, node.Cpus);
        Assert.Equal(1400, node.Mhz);
        Assert.Equal(2, node.NumaNodes);
        Assert.Equal(2, node.Sockets);
        Assert.Equal(2, node.Cores);
        Assert.Equal(2, node.Threads);
        Assert.Equal(3UL * 1024 * 1024, node.MemoryKiB);
    }

    [Fact]
    public void GetNodeInfo_CustomWorld_ReadsTheWorldFilesCpuBlock()
    {
        using var connection = Fixtures.OpenWorld();

        var node = connection.GetNodeInfo();

        Assert.Equal(new NodeInfo("i686", 8388608, 8, 2400, 1, 1, 4, 2), node);
    }

    [Fact]
    public void GetFreeMemoryBytes_TestDefault_IsPositive()
    {
        using var connection = LibvirtConnection.Open(DefaultUri);

        Assert.True(connection.GetFreeMemoryBytes() > 0);
    }

    [Fact]
    public void GetCapabilities_TestDefault_ParsesHostAndGuests()
    {
        using var connection = LibvirtConnection.Open(DefaultUri);

        var capabilities = connection.GetCapabilities();

        Assert.Equal("i686", capabilities.Cpu.Arch);
        Assert.Equal(2, capabilities.NumaCells.Count);
        Assert.Contains(capabilities.Guests, g => g.OsType == "hvm" && g.DomainTypes.Contains("test"));
        Assert.StartsWith("<capabilities>", connection.GetCapabilitiesXml().TrimStart());
    }

    [Fact]
    public void SetKeepAlive_LocalTestDriver_ReturnsFalseBecauseThereIsNoTransport()
    {
        using var connection = LibvirtConnection.Open(DefaultUri);

        Assert.False(connection.SetKeepAlive(5, 3));
        Assert.True(connection.IsAlive);
    }

    [Fact]
    public void OpenWithCredentials_CorrectPassword_AnswersAuthNameAndPassphrase()
    {
        var asked = new List<CredentialType>();
        var answer = Credentials.UsernamePassword("operator", "s3cret");

        using var connection = LibvirtConnection.Open(Fixtures.WorldUri("test-world-auth.xml"), request =>
        {
            asked.Add(request.Type);
            return answer(request);
        });

        Assert.True(connection.IsAlive);
        Assert.Contains(CredentialType.AuthName, asked);
        Assert.Contains(CredentialType.Passphrase, asked);
    }

    [Fact]
    public void OpenWithCredentials_WrongPassword_ThrowsAuthFailed()
    {
        var exception = Assert.Throws<LibvirtException>(() =>
            LibvirtConnection.Open(Fixtures.WorldUri("test-world-auth.xml"), Credentials.UsernamePassword("operator", "wrong")));

        Assert.Equal(LibvirtErrorCode.AuthFailed, exception.Code);
    }

    [Fact]
    public void OpenWithCredentials_CallbackThrows_FailsWithTheCallbacksExceptionInside()
    {
        var exception = Assert.Throws<LibvirtException>(() =>
            LibvirtConnection.Open(Fixtures.WorldUri("test-world-auth.xml"), _ => throw new InvalidOperationException("vault is locked")));

        Assert.IsType<InvalidOperationException>(exception.InnerException);
        Assert.Contains("vault is locked", exception.Message);
    }

    [Fact]
    public void OpenWithCredentials_CallbackRefuses_ThrowsAuthFailed()
    {
        var exception = Assert.Throws<LibvirtException>(() =>
            LibvirtConnection.Open(Fixtures.WorldUri("test-world-auth.xml"), _ => null));

        Assert.Equal(LibvirtErrorCode.AuthFailed, exception.Code);
    }

    [Fact]
    public void Dispose_Twice_DoesNotThrow()
    {
        var connection = LibvirtConnection.Open(DefaultUri);

        connection.Dispose();
        connection.Dispose();
    }

    [Fact]
    public void Open_StartsTheEventLoopFirst()
    {
        using var connection = LibvirtConnection.Open(DefaultUri);

        Assert.True(LibvirtEventLoop.Instance.IsRunning);
    }
}

namespace VirtWeb.Libvirt.Tests;

public sealed class DomainTests
{
    private static readonly Guid s_alphaUuid = Guid.Parse("11111111-2222-3333-4444-555555555555");
    private static readonly Guid s_betaUuid = Guid.Parse("66666666-7777-8888-9999-000000000000");

    [Fact]
    public void ListDomains_TestDefault_ReturnsTheBuiltInRunningGuest()
    {
        using var connection = LibvirtConnection.Open("test:///default");

        var domains = connection.ListDomains();

        var test = Assert.Single(domains, d => d.Name == "test");
        Assert.Equal(Guid.Parse("6695eb01-f6a4-8304-79aa-97f2502e193f"), test.Uuid);
        foreach (var domain in domains)
        {
            domain.Dispose();
        }
    }

    [Fact]
    public void ListDomains_WithFlags_FiltersActiveAndInactive()
    {
        using var connection = Fixtures.OpenWorld();

        Assert.Equal(["alpha", "beta"], connection.ListDomains().Select(d => d.Name).Order());
        Assert.Equal(["alpha"], connection.ListDomains(DomainListFlags.Active).Select(d => d.Name));
        Assert.Equal(["beta"], connection.ListDomains(DomainListFlags.Inactive).Select(d => d.Name));
    }

    [Fact]
    public void Lookups_ByNameUuidAndId_FindTheSameDomain()
    {
        using var connection = Fixtures.OpenWorld();
        using var byName = connection.GetDomainByName("alpha");
        using var byUuid = connection.GetDomainByUuid(s_alphaUuid);
        using var byId = connection.GetDomainById(byName.Id!.Value);

        Assert.Equal(s_alphaUuid, byName.Uuid);
        Assert.Equal("alpha", byUuid.Name);
        Assert.Equal("alpha", byId.Name);
    }

    [Fact]
    public void GetStateAndInfo_RunningAndShutoff_ReportStateReasonMemoryAndVcpus()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");
        using var beta = connection.GetDomainByUuid(s_betaUuid);

        Assert.Equal(DomainState.Running, alpha.GetState().State);
        Assert.True(alpha.IsActive);
        Assert.NotNull(alpha.Id);
        var info = alpha.GetInfo();
        Assert.Equal(DomainState.Running, info.State);
        Assert.Equal(512UL * 1024, info.MaxMemoryKiB);
        Assert.Equal(256UL * 1024, info.MemoryKiB);
        Assert.Equal(2, info.VirtualCpus);

        Assert.Equal(DomainState.Shutoff, beta.GetState().State);
        Assert.IsType<DomainShutoffReason>(beta.GetState().Reason);
        Assert.False(beta.IsActive);
        Assert.True(beta.IsPersistent);
        Assert.Null(beta.Id);
    }

    [Fact]
    public void PowerOperations_StartSuspendResumeShutdownDestroy_ChangeStateWithReasons()
    {
        using var connection = Fixtures.OpenWorld();
        using var beta = connection.GetDomainByName("beta");

        beta.Start();
        Assert.Equal(new DomainStateInfo(DomainState.Running, (int)DomainRunningReason.Booted), beta.GetState());

        beta.Suspend();
        Assert.Equal(DomainState.Paused, beta.GetState().State);
        Assert.Equal(DomainPausedReason.User, beta.GetState().Reason);

        beta.Resume();
        Assert.Equal(DomainRunningReason.Unpaused, beta.GetState().Reason);

        beta.Reboot();
        Assert.Equal(DomainState.Running, beta.GetState().State);

        beta.Shutdown();
        Assert.Equal(DomainState.Shutoff, beta.GetState().State);
        Assert.Equal(DomainShutoffReason.Shutdown, beta.GetState().Reason);

        beta.Start();
        beta.Destroy();
        Assert.Equal(DomainShutoffReason.Destroyed, beta.GetState().Reason);
    }

    [Fact]
    public void ManagedSave_RunningDomain_StopsAndRestoresOnStart()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");

        alpha.ManagedSave();

        Assert.True(alpha.HasManagedSave);
        Assert.Equal(DomainShutoffReason.Saved, alpha.GetState().Reason);

        alpha.Start();

        // The test driver reports the restore as a plain boot; QEMU would say Restored.
        Assert.False(alpha.HasManagedSave);
        Assert.Equal(DomainState.Running, alpha.GetState().State);
    }

    [Fact]
    public void RemoveManagedSave_AfterSave_LeavesNoImage()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");
        alpha.ManagedSave();

        alpha.RemoveManagedSave();

        Assert.False(alpha.HasManagedSave);
    }

    [Fact]
    public void Autostart_Set_IsReadBack()
    {
        using var connection = Fixtures.OpenWorld();
        using var beta = connection.GetDomainByName("beta");

        Assert.False(beta.Autostart);
        beta.Autostart = true;
        Assert.True(beta.Autostart);
    }

    [Fact]
    public void DefineAndUndefine_NewDomain_AppearsThenDisappears()
    {
        using var connection = Fixtures.OpenWorld();
        const string xml = """
            <domain type='test'>
              <name>gamma</name>
              <memory unit='MiB'>64</memory>
              <vcpu>1</vcpu>
              <os><type>hvm</type></os>
            </domain>
            """;

        using var gamma = connection.DefineDomain(xml);

        Assert.Equal("gamma", gamma.Name);
        Assert.NotEqual(Guid.Empty, gamma.Uuid);
        Assert.Equal(DomainState.Shutoff, gamma.GetState().State);
        Assert.Equal(64UL * 1024, gamma.GetDefinition().MemoryKiB);

        gamma.Undefine();

        Assert.DoesNotContain(connection.ListDomains(), d => d.Name == "gamma");
        var exception = Assert.Throws<LibvirtException>(() => gamma.GetState());
        Assert.Equal(LibvirtErrorCode.NoDomain, exception.Code);
    }

    [Fact]
    public void DefineDomain_WithValidateFlag_RejectsSchemaViolations()
    {
        using var connection = Fixtures.OpenWorld();

        var exception = Assert.Throws<LibvirtException>(() => connection.DefineDomain(
            "<domain type='test'><name>v</name><memory>1024</memory><os><type>hvm</type></os><bogus/></domain>",
            DomainDefineFlags.Validate));

        Assert.Equal(LibvirtErrorCode.XmlInvalidSchema, exception.Code);
    }

    [Fact]
    public void GetXml_InactiveFlag_ReturnsThePersistentDefinition()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");

        var live = alpha.GetDefinition();
        var inactive = alpha.GetDefinition(DomainXmlFlags.Inactive);

        Assert.NotNull(live.Id);
        Assert.Null(inactive.Id);
        Assert.Equal("alpha", inactive.Name);
    }

    [Fact]
    public void Undefine_RunningDomain_KeepsItRunningAsTransient()
    {
        using var connection = Fixtures.OpenWorld();
        using var alpha = connection.GetDomainByName("alpha");

        alpha.Undefine();

        Assert.True(alpha.IsActive);
        Assert.False(alpha.IsPersistent);
    }
}

namespace VirtWeb.Libvirt.Tests.Qemu;

/// <summary>
/// Against the real libvirtd + QEMU (TCG, no KVM needed). The guests have no disk: SeaBIOS finds
/// nothing to boot and idles, which is all these tests need. One collection: guests run one at a time.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class QemuDomainTests
{
    private static string SmallDomainXml(string name, bool withAgentChannel = false) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices>
            {(withAgentChannel ? "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>" : "")}
            <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
          </devices>
        </domain>
        """;

    [QemuFact]
    public void Connection_QemuSystem_ReportsQemuAndParsesCapabilities()
    {
        using var connection = QemuHost.Open();

        Assert.Equal("QEMU", connection.HypervisorType);
        Assert.StartsWith("qemu:///system", connection.Uri);
        Assert.True(connection.HypervisorVersion.Major >= 5);
        Assert.True(connection.SetKeepAlive(5, 3), "the remote driver supports keepalive");
        Assert.True(connection.GetNodeInfo().Cpus >= 1);

        var capabilities = connection.GetCapabilities();
        Assert.Equal("x86_64", capabilities.Cpu.Arch);
        Assert.NotEmpty(capabilities.NumaCells);
        var x86 = Assert.Single(capabilities.Guests, g => g.Arch == "x86_64" && g.OsType == "hvm");
        Assert.Contains("qemu", x86.DomainTypes);
        Assert.Contains("pc", x86.Machines);

        var domainCapabilities = connection.GetDomainCapabilities();
        Assert.Equal("x86_64", domainCapabilities.Arch);
        Assert.Equal(capabilities.IsKvmAvailable, domainCapabilities.IsKvm);
        Assert.NotNull(domainCapabilities.EmulatorPath);
        Assert.True(domainCapabilities.MaxVcpus > 0);
    }

    [QemuFact]
    public async Task Domain_DefineStartDestroyUndefine_WithLifecycleEventsAndStats()
    {
        using var connection = QemuHost.Open();
        var name = QemuHost.UniqueName("life");
        var waiter = new EventWaiter();
        using var lifecycle = connection.SubscribeDomainEvents(DomainEventKind.Lifecycle, waiter.Writer);
        using var reboot = connection.SubscribeDomainEvents(DomainEventKind.Reboot, waiter.Writer);
        using var domain = connection.DefineDomain(SmallDomainXml(name));
        try
        {
            await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.DomainName == name && e.Type == DomainLifecycleEventType.Defined);
            Assert.Equal(DomainState.Shutoff, domain.GetState().State);

            domain.Start();
            var started = await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.DomainName == name && e.Type == DomainLifecycleEventType.Started);
            Assert.Equal(DomainStartedDetail.Booted, started.Detail);
            Assert.Equal(DomainState.Running, domain.GetState().State);
            Assert.NotNull(domain.Id);

            var live = domain.GetDefinition();
            var vnc = Assert.Single(live.Graphics);
            Assert.Equal("127.0.0.1", vnc.ListenAddress);
            Assert.True(vnc.Port >= 5900, $"VNC port {vnc.Port}");

            var stats = connection.GetAllDomainStats(
                DomainStatsTypes.State | DomainStatsTypes.CpuTotal | DomainStatsTypes.Balloon | DomainStatsTypes.Vcpu | DomainStatsTypes.Interface | DomainStatsTypes.Block,
                DomainStatsFlags.Running).Single(s => s.DomainName == name);
            Assert.Equal(domain.Uuid, stats.DomainUuid);
            Assert.Equal(DomainState.Running, stats.State);
            Assert.NotNull(stats.CpuTime);
            Assert.Equal(64UL * 1024, stats.GetUInt64("balloon.maximum"));
            Assert.Equal(1L, stats.GetInt64("vcpu.current"));
            Assert.Equal(0L, stats.GetInt64("net.count"));
            Assert.Equal(0L, stats.GetInt64("block.count"));

            domain.Suspend();
            await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.DomainName == name && e.Type == DomainLifecycleEventType.Suspended);
            Assert.Equal(DomainPausedReason.User, domain.GetState().Reason);
            domain.Resume();
            await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.DomainName == name && e.Type == DomainLifecycleEventType.Resumed);

            domain.Reset();
            await waiter.WaitForAsync<DomainRebootEvent>(e => e.DomainName == name);

            domain.Destroy();
            var stopped = await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.DomainName == name && e.Type == DomainLifecycleEventType.Stopped);
            Assert.Equal(DomainStoppedDetail.Destroyed, stopped.Detail);
            Assert.Equal(DomainShutoffReason.Destroyed, domain.GetState().Reason);

            domain.Undefine();
            await waiter.WaitForAsync<DomainLifecycleEvent>(e => e.DomainName == name && e.Type == DomainLifecycleEventType.Undefined);
            Assert.DoesNotContain(connection.ListDomains(), d => d.Name == name);

            // Events arrive in order, so by the Undefined event every start and stop has been delivered: one each.
            var lifecycleEvents = waiter.Seen.OfType<DomainLifecycleEvent>().Where(e => e.DomainName == name).ToList();
            Assert.Single(lifecycleEvents, e => e.Type == DomainLifecycleEventType.Started);
            Assert.Single(lifecycleEvents, e => e.Type == DomainLifecycleEventType.Stopped);
        }
        finally
        {
            Cleanup(connection, name);
        }
    }

    [QemuFact]
    public async Task Devices_AttachAndDetachUsbTablet_DeliverDeviceAddedAndRemoved()
    {
        using var connection = QemuHost.Open();
        var name = QemuHost.UniqueName("dev");
        var waiter = new EventWaiter();
        using var domain = connection.DefineDomain(SmallDomainXml(name));
        using var added = connection.SubscribeDomainEvents(DomainEventKind.DeviceAdded, waiter.Writer, domain);
        using var removed = connection.SubscribeDomainEvents(DomainEventKind.DeviceRemoved, waiter.Writer, domain);
        const string tablet = "<input type='tablet' bus='usb'><alias name='ua-tablet'/></input>";
        try
        {
            domain.Start();

            domain.AttachDevice(tablet, DomainDeviceModifyFlags.Live);
            var addedEvent = await waiter.WaitForAsync<DomainDeviceAddedEvent>();
            domain.DetachDevice(tablet, DomainDeviceModifyFlags.Live);
            var removedEvent = await waiter.WaitForAsync<DomainDeviceRemovedEvent>();

            Assert.Equal((name, "ua-tablet"), (addedEvent.DomainName, addedEvent.DeviceAlias));
            Assert.Equal("ua-tablet", removedEvent.DeviceAlias);
        }
        finally
        {
            Cleanup(connection, name);
        }
    }

    [QemuFact]
    public async Task GuestAgent_ChannelWithoutAgent_ReportsDisconnectedAndCommandFailsUnresponsive()
    {
        using var connection = QemuHost.Open();
        var name = QemuHost.UniqueName("agent");
        var waiter = new EventWaiter();
        using var domain = connection.DefineDomain(SmallDomainXml(name, withAgentChannel: true));
        using var agent = connection.SubscribeDomainEvents(DomainEventKind.AgentLifecycle, waiter.Writer, domain);
        try
        {
            domain.Start();

            var lifecycle = await waiter.WaitForAsync<DomainAgentLifecycleEvent>();
            Assert.Equal(AgentLifecycleState.Disconnected, lifecycle.State);
            Assert.Equal(AgentLifecycleReason.DomainStarted, lifecycle.Reason);
            Assert.Contains(domain.GetDefinition().Channels, c => c.TargetName == "org.qemu.guest_agent.0");

            // SeaBIOS runs no agent: the call goes through libvirt-qemu.so and comes back as libvirt's error.
            var exception = Assert.Throws<LibvirtException>(() => domain.QemuAgentCommand("""{"execute":"guest-ping"}""", 1));
            Assert.Equal(LibvirtErrorCode.AgentUnresponsive, exception.Code);
            Assert.Equal(LibvirtErrorDomain.Qemu, exception.ErrorDomain);
        }
        finally
        {
            Cleanup(connection, name);
        }
    }

    [QemuFact]
    public void ManagedSave_RunningGuest_RestoresOnStart()
    {
        using var connection = QemuHost.Open();
        var name = QemuHost.UniqueName("save");
        using var domain = connection.DefineDomain(SmallDomainXml(name));
        try
        {
            domain.Start();

            domain.ManagedSave();
            Assert.True(domain.HasManagedSave);
            Assert.Equal(DomainShutoffReason.Saved, domain.GetState().Reason);

            domain.Start();
            Assert.Equal(DomainRunningReason.Restored, domain.GetState().Reason);
            Assert.False(domain.HasManagedSave);
        }
        finally
        {
            Cleanup(connection, name);
        }
    }

    [QemuFact]
    public void Lookup_NonexistentQemuDomain_ThrowsNoDomainFromQemuDriver()
    {
        using var connection = QemuHost.Open();

        var exception = Assert.Throws<LibvirtException>(() => connection.GetDomainByName(QemuHost.UniqueName("missing")));

        Assert.Equal(LibvirtErrorCode.NoDomain, exception.Code);
        Assert.Equal(LibvirtErrorDomain.Qemu, exception.ErrorDomain);
    }

    private static void Cleanup(LibvirtConnection connection, string name)
    {
        try
        {
            using var domain = connection.GetDomainByName(name);
            if (domain.IsActive)
            {
                domain.Destroy();
            }
            if (domain.IsPersistent)
            {
                domain.Undefine(DomainUndefineFlags.ManagedSave);
            }
        }
        catch (LibvirtException exception) when (exception.Code == LibvirtErrorCode.NoDomain)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class QemuCollection
{
    public const string Name = "qemu:///system";
}

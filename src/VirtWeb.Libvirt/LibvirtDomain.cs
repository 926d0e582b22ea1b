using VirtWeb.Libvirt.Interop;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt;

/// <summary>
/// A domain (<c>virDomainPtr</c>): a reference to a guest, valid even after the guest is undefined
/// (calls then fail with <see cref="LibvirtErrorCode.NoDomain"/>). Dispose to drop the reference.
/// </summary>
public sealed unsafe partial class LibvirtDomain : IDisposable
{
    private readonly CountedHandle<DomainHandle> _handle;
    private string? _name;
    private Guid? _uuid;

    internal LibvirtDomain(LibvirtConnection connection, DomainHandle handle) => _handle = new(connection, handle);

    public LibvirtConnection Connection => _handle.Connection;

    internal DomainHandle Handle => _handle.Handle;

    public string Name => _name ??= _handle.WithPointer(ptr => NativeHelpers.BorrowString(Native.virDomainGetName(ptr)));

    public Guid Uuid => _uuid ??= _handle.WithPointer(ptr => NativeHelpers.ReadUuid(&Native.virDomainGetUUIDString, ptr, "virDomainGetUUIDString"));

    /// <summary>The hypervisor id while running; null when shut off.</summary>
    public int? Id
    {
        get
        {
            var id = Native.virDomainGetID(_handle.Counted);
            return id == uint.MaxValue ? null : (int)id;
        }
    }

    public bool IsActive => NativeHelpers.Check(Native.virDomainIsActive(_handle.Counted)) == 1;

    public bool IsPersistent => NativeHelpers.Check(Native.virDomainIsPersistent(_handle.Counted)) == 1;

    public bool HasManagedSave => NativeHelpers.Check(Native.virDomainHasManagedSaveImage(_handle.Counted, 0)) == 1;

    /// <summary>Whether the domain starts when libvirtd does.</summary>
    public bool Autostart
    {
        get
        {
            int autostart;
            NativeHelpers.Check(Native.virDomainGetAutostart(_handle.Counted, &autostart));
            return autostart != 0;
        }
        set => NativeHelpers.Check(Native.virDomainSetAutostart(_handle.Counted, value ? 1 : 0));
    }

    public DomainStateInfo GetState()
    {
        int state, reason;
        NativeHelpers.Check(Native.virDomainGetState(_handle.Counted, &state, &reason, 0));
        return new DomainStateInfo((DomainState)state, reason);
    }

    public DomainInfo GetInfo()
    {
        VirDomainInfo info;
        NativeHelpers.Check(Native.virDomainGetInfo(_handle.Counted, &info));
        return new DomainInfo((DomainState)info.State, info.MaxMem, info.Memory, info.NrVirtCpu, TimeSpan.FromTicks((long)(info.CpuTime / 100)));
    }

    public string GetXml(DomainXmlFlags flags = DomainXmlFlags.None) =>
        NativeHelpers.TakeString(Native.virDomainGetXMLDesc(_handle.Counted, (uint)flags));

    public DomainDefinition GetDefinition(DomainXmlFlags flags = DomainXmlFlags.None) => DomainDefinition.Parse(GetXml(flags));

    /// <summary>Starts a defined domain (<c>virDomainCreate</c>); boots from a managed save image if there is one.</summary>
    public void Start() => NativeHelpers.Check(Native.virDomainCreate(_handle.Counted));

    /// <summary>Asks the guest to shut down (ACPI, agent, ...); returns before the guest has stopped.</summary>
    public void Shutdown(DomainShutdownFlags flags = DomainShutdownFlags.Default) =>
        NativeHelpers.Check(Native.virDomainShutdownFlags(_handle.Counted, (uint)flags));

    public void Reboot(DomainRebootFlags flags = DomainRebootFlags.Default) =>
        NativeHelpers.Check(Native.virDomainReboot(_handle.Counted, (uint)flags));

    /// <summary>Resets the virtual hardware at once, like the reset button (no guest cooperation needed).</summary>
    public void Reset() => NativeHelpers.Check(Native.virDomainReset(_handle.Counted, 0));

    /// <summary>Stops the guest at once, like pulling the plug.</summary>
    public void Destroy() => NativeHelpers.Check(Native.virDomainDestroy(_handle.Counted));

    public void Suspend() => NativeHelpers.Check(Native.virDomainSuspend(_handle.Counted));

    public void Resume() => NativeHelpers.Check(Native.virDomainResume(_handle.Counted));

    /// <summary>Saves memory to libvirt's managed image and stops; the next <see cref="Start"/> restores it.</summary>
    public void ManagedSave() => NativeHelpers.Check(Native.virDomainManagedSave(_handle.Counted, 0));

    public void RemoveManagedSave() => NativeHelpers.Check(Native.virDomainManagedSaveRemove(_handle.Counted, 0));

    /// <summary>Removes the persistent definition; a running domain keeps running as transient.</summary>
    public void Undefine(DomainUndefineFlags flags = DomainUndefineFlags.None) =>
        NativeHelpers.Check(Native.virDomainUndefineFlags(_handle.Counted, (uint)flags));

    public void AttachDevice(string deviceXml, DomainDeviceModifyFlags flags = DomainDeviceModifyFlags.Current) =>
        NativeHelpers.Check(Native.virDomainAttachDeviceFlags(_handle.Counted, deviceXml, (uint)flags));

    /// <summary>Requests removal; for live devices the guest may finish it later (see <see cref="DomainEventKind.DeviceRemoved"/>).</summary>
    public void DetachDevice(string deviceXml, DomainDeviceModifyFlags flags = DomainDeviceModifyFlags.Current) =>
        NativeHelpers.Check(Native.virDomainDetachDeviceFlags(_handle.Counted, deviceXml, (uint)flags));

    /// <summary>
    /// Sends a QEMU guest-agent command (JSON, e.g. <c>{"execute":"guest-ping"}</c>) and returns the reply JSON.
    /// Blocks for up to <paramref name="timeoutSeconds"/> (see <see cref="QemuAgentTimeout"/>).
    /// </summary>
    public string QemuAgentCommand(string command, int timeoutSeconds = QemuAgentTimeout.Default) =>
        NativeHelpers.TakeString(Native.virDomainQemuAgentCommand(_handle.Counted, command, timeoutSeconds, 0));

    /// <summary>
    /// Connects to the guest's graphics server (<c>virDomainOpenGraphicsFD</c>, QEMU only) and returns the connected
    /// socket. libvirt makes a socket pair, hands QEMU one end and us the other over its UNIX socket, so this works
    /// only with a local libvirtd, but needs no network port, and with <paramref name="skipAuth"/> QEMU skips the
    /// VNC password for this client: the password never has to leave the host.
    /// </summary>
    public System.Net.Sockets.Socket OpenGraphicsSocket(int index = 0, bool skipAuth = true)
    {
        const uint SkipAuth = 1;
        var fd = NativeHelpers.Check(Native.virDomainOpenGraphicsFD(_handle.Counted, (uint)index, skipAuth ? SkipAuth : 0), "virDomainOpenGraphicsFD");
        return new System.Net.Sockets.Socket(new System.Net.Sockets.SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>
    /// Opens the guest's text console (<c>virDomainOpenConsole</c>): <paramref name="device"/> is a console or serial
    /// alias (null: the first console). <paramref name="force"/> takes it over from another client, whose stream ends.
    /// </summary>
    public LibvirtConsoleStream OpenConsole(string? device = null, bool force = false) => LibvirtConsoleStream.Open(this, device, force);

    public void Dispose() => _handle.Dispose();

    public override string ToString() => _name ?? "domain";
}

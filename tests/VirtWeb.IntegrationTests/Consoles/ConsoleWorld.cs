namespace VirtWeb.IntegrationTests.Consoles;

/// <summary>
/// One app with qemu:///system and a private test:/// host, two small QEMU guests with a password-protected VNC display
/// (SeaBIOS idles on screen: instant to boot, and never blank), and an Operator, a second Operator and a Viewer.
/// </summary>
public sealed class ConsoleWorld : IAsyncLifetime
{
    private readonly List<LibvirtDomain> _domains = [];
    private LibvirtConnection? _connection;

    public ConsoleFactory Factory { get; } = new();

    public Guid QemuHostId { get; private set; }

    public Guid PrivateHostId { get; private set; }

    public Guid GuestA { get; private set; }

    public Guid GuestB { get; private set; }

    public string OperatorName { get; } = VirtWebFactory.UniqueUserName("op");

    public string OtherOperatorName { get; } = VirtWebFactory.UniqueUserName("op2");

    public string ViewerName { get; } = VirtWebFactory.UniqueUserName("viewer");

    public async Task InitializeAsync()
    {
        await Factory.InitializeAsync();
        QemuHostId = await GuestWorld.AddQemuHostAsync(Factory);
        PrivateHostId = await GuestWorld.AddPrivateHostAsync(Factory);
        await Factory.CreateUserAsync(OperatorName, Roles.Operator);
        await Factory.CreateUserAsync(OtherOperatorName, Roles.Operator);
        await Factory.CreateUserAsync(ViewerName, Roles.Viewer);

        _connection = LibvirtConnection.Open("qemu:///system");
        GuestA = Start("a");
        GuestB = Start("b");
    }

    /// <summary>A running QEMU guest with VNC on 127.0.0.1 and a password the browser never learns.</summary>
    public Guid Start(string label)
    {
        var name = $"vwcon-{label}-{Guid.NewGuid():N}"[..24];
        var domain = _connection!.DefineDomain($"""
            <domain type='qemu'>
              <name>{name}</name>
              <memory unit='MiB'>64</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type></os>
              <devices>
                <serial type='pty'><target port='0'/></serial>
                <console type='pty'><target type='serial' port='0'/></console>
                <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1' passwd='s3cretPw'/>
              </devices>
            </domain>
            """);
        _domains.Add(domain);
        domain.Start();
        return domain.Uuid;
    }

    public LibvirtDomain Domain(Guid uuid) => _domains.Single(d => d.Uuid == uuid);

    public async Task DisposeAsync()
    {
        foreach (var domain in _domains)
        {
            try
            {
                if (domain.IsActive)
                {
                    domain.Destroy();
                }
                domain.Undefine();
            }
            catch (LibvirtException)
            {
                // A test deleted it already.
            }
            domain.Dispose();
        }
        _connection?.Dispose();
        await ((IAsyncLifetime)Factory).DisposeAsync();
    }

    public T Service<T>() where T : notnull => Factory.Services.GetRequiredService<T>();
}
